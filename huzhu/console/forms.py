"""Console forms: they only carry fields; checks are the services' (and their rules')."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from huzhu.members.models import InsuranceScope
from huzhu.org.models import Unit


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
