"""The calculator form (补助试算) shared by the member portal and the staff console: it only
collects plain-language answers and turns them into a §10 case; the calculator decides."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT
from django.utils.translation import gettext_lazy as _

from huzhu.calcfront.renderer import WidgetRenderer
from huzhu.money import FEN
from huzhu.policy import codes
from huzhu.policy.cases import MAX_INTEGER_DIGITS


def _choices(labels: dict) -> list[tuple[str, object]]:
    """A form's choices from a code list's labels (huzhu/policy/codes.py): the values are
    the codes as text, so the form offers exactly what the parser accepts."""
    return [(str(code), label) for code, label in labels.items()]


# Built once at import: a page renders them, never rebuilds them.
BENEFIT_CHOICES = _choices(codes.BENEFIT_LABELS)
CAUSE_CHOICES = _choices(codes.CAUSE_LABELS)
SCOPE_CHOICES = _choices(codes.INSURANCE_SCOPE_LABELS)
GRADE_CHOICES = _choices(codes.WORK_INJURY_GRADE_LABELS)
LEVEL_CHOICES = _choices(codes.CERTIFICATE_LEVEL_LABELS)
# Highest first: the usual diagnosing hospital is the first offered.
HOSPITAL_GRADE_CHOICES = _choices(codes.HOSPITAL_GRADE_LABELS)[::-1]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# An HTML date input takes and gives ISO dates whatever the language (a claim's answers
# shown again are dates, not the text the browser sent).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The calculator's forms, their stays and the stays' hidden counts are written by one
# renderer that writes the plain widgets in Python (the same HTML, a fraction of the cost).
RENDERER = WidgetRenderer()


class AmountField(forms.DecimalField):
    """Yuan as a member types it: at most 12 digits before the decimal point and 2 after.

    Everything is checked in to_python, before Django compares the value with anything:
    Django's own DecimalField lets "sNaN" through to a comparison that raises (a 500), and
    says "no more than 12 digits in total" for 1e-999999."""

    default_error_messages = {
        "invalid": _("Enter an amount in yuan in digits, such as 6200.50."),
        "negative": _("Enter 0 or more, without a minus sign."),
        "too_large": _("Enter at most 12 digits before the decimal point."),
        "decimals": _("Enter at most 2 digits after the decimal point."),
    }
    ceiling: Decimal | None = None  # the largest value, when smaller than 12 digits allow

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.NumberInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)
        self.validators = []  # all bounds are checked in to_python

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if number.is_signed():  # -0 too
            raise ValidationError(self.error_messages["negative"], code="negative")
        if number.adjusted() >= MAX_INTEGER_DIGITS or (
            self.ceiling is not None and number > self.ceiling
        ):
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        # The first test keeps quantize away from exponents it cannot hold.
        if number.adjusted() < -2 * MAX_INTEGER_DIGITS and number:
            raise ValidationError(self.error_messages["decimals"], code="decimals")
        if number != number.quantize(FEN):
            raise ValidationError(self.error_messages["decimals"], code="decimals")
        return number.quantize(FEN)

    def validate(self, value):
        forms.Field.validate(self, value)

    def bound_data(self, data, initial):
        # What goes back into the input after an error: not megabytes of it.
        return data[:40] if isinstance(data, str) else data


class PercentField(AmountField):
    default_error_messages = {
        "invalid": _("Enter a percentage from 0 to 100, such as 70."),
        "negative": _("Enter a percentage from 0 to 100, such as 70."),
        "too_large": _("Enter a percentage from 0 to 100, such as 70."),
    }
    ceiling = Decimal(100)


def money_field(label, help_text=""):
    return AmountField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
    )


class CalculatorForm(forms.Form):
    default_renderer = RENDERER
    year = forms.TypedChoiceField(label=_("Scheme year"), coerce=int)
    benefit = forms.ChoiceField(
        label=_("Subsidy"),
        choices=BENEFIT_CHOICES,
        widget=forms.RadioSelect,
        initial="hospitalization",
    )
    already_paid = money_field(
        _("Already received for this (yuan)"),
        _("What the scheme already paid you for this benefit this year."),
    )
    # critical illness
    illness = forms.ChoiceField(label=_("Illness"), required=False)
    diagnosed_on = forms.DateField(label=_("Date of diagnosis"), required=False, widget=DATE)
    first_diagnosed_on = forms.DateField(
        label=_("Date first diagnosed, if earlier"), required=False, widget=DATE
    )
    hospital_in_changzhou = forms.ChoiceField(
        label=_("Diagnosing hospital is in Changzhou"),
        choices=YES_NO,
        initial="yes",
        required=False,
        widget=forms.RadioSelect,
    )
    hospital_grade = forms.ChoiceField(
        label=_("Hospital grade"), choices=HOSPITAL_GRADE_CHOICES, required=False
    )
    # work injury
    injured_on = forms.DateField(label=_("Date of the injury"), required=False, widget=DATE)
    grade = forms.ChoiceField(
        label=_("Disability grade"), choices=GRADE_CHOICES, required=False, initial="10"
    )
    certificate_level = forms.ChoiceField(
        label=_("Appraisal committee level"),
        choices=LEVEL_CHOICES,
        required=False,
        initial="city",
    )

    def __init__(self, *args, years: list[int], illnesses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        year_field = self.fields["year"]
        illness_field = self.fields["illness"]
        assert isinstance(year_field, forms.ChoiceField)
        assert isinstance(illness_field, forms.ChoiceField)
        year_field.choices = [(y, str(y)) for y in years]
        illness_field.choices = [("", _("— choose —"))] + [(n, n) for n in illnesses]

    CRITICAL_ILLNESS_FIELDS = (
        "illness",
        "diagnosed_on",
        "first_diagnosed_on",
        "hospital_in_changzhou",
        "hospital_grade",
    )
    WORK_INJURY_FIELDS = ("injured_on", "grade", "certificate_level")

    def critical_illness_fields(self):
        return [self[name] for name in self.CRITICAL_ILLNESS_FIELDS]

    def work_injury_fields(self):
        return [self[name] for name in self.WORK_INJURY_FIELDS]

    def clean(self) -> dict:
        data = super().clean() or {}
        required = {
            "critical_illness": ["illness", "diagnosed_on"],
            "work_injury": ["injured_on", "grade"],
        }.get(data.get("benefit") or "", [])
        for name in required:
            if not data.get(name):
                self.add_error(name, _("This field is required."))
        return data


class StayForm(forms.Form):
    default_renderer = RENDERER
    admitted_on = forms.DateField(label=_("Admitted on"), widget=DATE)
    cause = forms.ChoiceField(label=_("Cause"), choices=CAUSE_CHOICES, initial="illness")
    insurance_scope = forms.ChoiceField(
        label=_("Basic medical insurance"), choices=SCOPE_CHOICES, initial="jiangsu"
    )
    settled_self_pay = money_field(
        _("Out-of-pocket on the settlement (yuan)"),
        _("个人自理 (个人自付 + 自费) on the insurance settlement sheet."),
    )
    unsettled_cost = money_field(
        _("Cost that could not be settled (yuan)"),
        _("Only where settlement with insurance was impossible."),
    )
    settlement_pending = forms.BooleanField(
        label=_("Not yet settled with medical insurance"), required=False
    )
    traffic_total_cost = money_field(
        _("Traffic accident: total hospital cost (yuan)"),
        _("Only for a traffic accident not settled with insurance."),
    )
    liability_percent = PercentField(
        label=_("Traffic accident: your share of liability (%)"),
        required=False,
        initial=100,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "min": "0", "max": "100"}),
    )

    TRAFFIC_FIELDS = ("traffic_total_cost", "liability_percent")

    def general_fields(self):
        return [field for field in self if field.name not in self.TRAFFIC_FIELDS]

    def traffic_fields(self):
        """Shown only when the cause is a traffic accident (CSS, no script)."""
        return [self[name] for name in self.TRAFFIC_FIELDS]


class BaseStayFormSet(BaseFormSet):
    default_error_messages = {
        **BaseFormSet.default_error_messages,
        # More than max_num stays is a damaged page (is_damaged), never this formset's error.
        "too_few_forms": _("Enter at least one hospital stay."),
    }

    def is_damaged(self) -> bool:
        """Whether the hidden counts were changed: the page always sends a whole number of
        stays from min_num to max_num, and no more initial stays than stays."""
        if not self.is_bound:
            return False
        management = self.management_form
        if not management.is_valid():
            return True
        # Both are required integers once the management form is valid.
        total = management.cleaned_data[TOTAL_FORM_COUNT] or 0
        initial = management.cleaned_data[INITIAL_FORM_COUNT] or 0
        # formset_factory always sets both bounds (StayFormSet below).
        assert self.min_num is not None and self.max_num is not None
        return not self.min_num <= total <= self.max_num or initial > total


def stay_formset(form: type[StayForm]) -> type[BaseStayFormSet]:
    """The stays of a form: one to 20. absolute_max: however many stays a request claims,
    at most 20 forms are built."""
    return formset_factory(  # type: ignore[return-value,call-arg]
        form,
        formset=BaseStayFormSet,
        extra=0,
        min_num=1,
        validate_min=True,
        max_num=20,
        absolute_max=20,
        renderer=RENDERER,
    )


StayFormSet = stay_formset(StayForm)


def _amount(value) -> str:
    return f"{value:f}" if value is not None else "0"


def build_case(form: CalculatorForm, stays) -> dict:
    """The §10 case for valid forms."""
    data = form.cleaned_data
    case: dict = {
        "year": data["year"],
        "benefit": data["benefit"],
        "already_paid": _amount(data.get("already_paid")),
    }
    if data["benefit"] == "hospitalization":
        case["episodes"] = []
        for stay in stays.cleaned_data:
            if not stay:
                continue
            episode = {
                "admitted_on": stay["admitted_on"].isoformat(),
                "cause": stay["cause"],
                "insurance_scope": stay["insurance_scope"],
                "settled_self_pay": _amount(stay.get("settled_self_pay")),
                "unsettled_cost": _amount(stay.get("unsettled_cost")),
                "settlement_pending": bool(stay.get("settlement_pending")),
            }
            if stay["cause"] == "traffic_accident":
                percent = stay.get("liability_percent")
                episode["traffic_total_cost"] = _amount(stay.get("traffic_total_cost"))
                episode["liability_ratio"] = _amount(
                    (percent if percent is not None else Decimal(100)) / 100
                )
            case["episodes"].append(episode)
    elif data["benefit"] == "critical_illness":
        case.update(
            {
                "illness": data["illness"],
                "diagnosed_on": data["diagnosed_on"].isoformat(),
                "first_diagnosed_on": (
                    data.get("first_diagnosed_on") or data["diagnosed_on"]
                ).isoformat(),
                "hospital": {
                    "in_changzhou": data.get("hospital_in_changzhou") != "no",
                    "grade": int(data.get("hospital_grade") or 3),
                },
            }
        )
    else:
        grade = data["grade"]
        case.update(
            {
                "injured_on": data["injured_on"].isoformat(),
                "grade": grade if grade == "death" else int(grade),
                "certificate_level": data.get("certificate_level") or "city",
            }
        )
    return case
