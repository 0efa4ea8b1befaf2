"""Console forms: they only carry fields; checks are the services' (and their rules')."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from huzhu.ledger.services import LedgerError, parse_amount
from huzhu.members.models import InsuranceScope
from huzhu.org.models import Unit


def add_errors(form: forms.Form, errors) -> None:
    """A service's errors (field → message, or → messages) on the form: each on its field,
    on the form as a whole where the form does not show that field."""
    for field, messages in errors.items():
        for message in messages if isinstance(messages, (list, tuple)) else [messages]:
            form.add_error(field if field in form.fields else None, message)


def _set_choices(field: forms.Field, queryset: QuerySet[Unit]) -> None:
    """The units a choice field offers, given by the view (what the user's scope holds)."""
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class MemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30)
    union_card = forms.CharField(label=_("Union card"), max_length=40)
    unit = forms.ModelChoiceField(label=_("Grassroots union"), queryset=Unit.objects.none())
    employer_name = forms.CharField(label=_("Employer"), max_length=100, required=False)
    has_basic_insurance = forms.BooleanField(
        label=_("Has basic medical insurance"), required=False, initial=True
    )
    insurance_scope = forms.ChoiceField(
        label=_("Insurance scope"), choices=InsuranceScope.choices, initial=InsuranceScope.JIANGSU
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["unit"], units)


class UnitForm(forms.Form):
    # "Name" is a person's name (姓名) in the catalog; a unit has a 单位名称.
    name = forms.CharField(label=_("Unit name"), max_length=100)
    parent = forms.ModelChoiceField(label=_("Parent unit"), queryset=Unit.objects.none())

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["parent"], parents)


class UnitRenameForm(forms.Form):
    name = forms.CharField(label=_("Unit name"), max_length=100)


class UnitMoveForm(forms.Form):
    parent = forms.ModelChoiceField(label=_("Move under"), queryset=Unit.objects.none())

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["parent"], parents)


class MemberEditForm(forms.Form):
    """Everything of a member but the ID number (SPEC M1). Numbers are not shown in clear:
    left empty, they stay as they are."""

    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(
        label=_("New mobile phone"),
        max_length=30,
        required=False,
        help_text=_("Leave empty to keep the present number."),
    )
    union_card = forms.CharField(
        label=_("New union card"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to keep the present number."),
    )
    employer_name = forms.CharField(label=_("Employer"), max_length=100, required=False)
    has_basic_insurance = forms.BooleanField(label=_("Has basic medical insurance"), required=False)
    insurance_scope = forms.ChoiceField(label=_("Insurance scope"), choices=InsuranceScope.choices)
    correction = forms.TypedChoiceField(
        label=_("This change answers the member's request"),
        required=False,
        coerce=int,
        empty_value=None,
    )

    def __init__(self, *args, corrections=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("(none)"))] + [
            (c.pk, f"{c.get_field_display()}：{c.text[:40]}") for c in corrections
        ]
        field = self.fields["correction"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = choices
        if not corrections:
            del self.fields["correction"]


class MemberMoveForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Move to"), queryset=Unit.objects.none())

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["unit"], units)


class RefuseCorrectionForm(forms.Form):
    reason = forms.CharField(label=_("Reason (the member reads it)"), max_length=200)


class RosterExportForm(forms.Form):
    """SPEC X8: a unit's roster of a year; with a password, encrypted with full numbers.
    The password is used for this one file and never kept."""

    year = forms.IntegerField(label=_("Scheme year"), min_value=2000, max_value=2100)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    password = forms.CharField(
        label=_("Password (optional)"),
        required=False,
        min_length=8,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Without a password the ID, phone and union card numbers are masked. With one "
            "(at least 8 characters), the file is encrypted and holds the full numbers: give "
            "the password to the recipient separately."
        ),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["unit"], units)


class RosterFormsForm(forms.Form):
    """SPEC X9: the authorization forms of everyone on a unit's roster of a year."""

    year = forms.IntegerField(label=_("Scheme year"), min_value=2000, max_value=2100)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["unit"], units)


class LedgerCorrectionForm(forms.Form):
    """A correcting entry (SPEC D9): the signed amount that puts the entry right, and why."""

    amount = forms.CharField(
        label=_("Correction amount (yuan)"),
        max_length=20,
        help_text=_("Negative to take away, for example -30.00."),
    )
    reason = forms.CharField(label=_("Reason for the correction"), max_length=200)
    # How many corrections of the entry the form showed: a second send of the same form
    # (a double click) finds one more and is refused instead of recorded twice.
    seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean_amount(self):
        try:
            return parse_amount(self.cleaned_data["amount"])
        except LedgerError as exc:
            raise forms.ValidationError(exc.message) from exc
