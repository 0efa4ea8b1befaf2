"""The calculator form (补助试算) shared by the member portal and the staff console: it only
collects plain-language answers and turns them into a §10 case; the calculator decides."""

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

BENEFIT_CHOICES = [
    ("hospitalization", _("Hospitalization subsidy")),
    ("critical_illness", _("Critical-illness subsidy")),
    ("work_injury", _("Work-injury subsidy")),
]
CAUSE_CHOICES = [
    ("illness", _("Illness")),
    ("maternity", _("Childbirth")),
    ("accident", _("Accident")),
    ("traffic_accident", _("Traffic accident")),
    ("work_injury", _("Work injury")),
]
SCOPE_CHOICES = [("jiangsu", _("In Jiangsu")), ("other_province", _("Outside Jiangsu"))]
GRADE_CHOICES = [("death", _("Death from a work injury"))] + [
    (str(g), _("Grade %(grade)s") % {"grade": g}) for g in range(1, 11)
]
LEVEL_CHOICES = [
    ("city", _("City level")),
    ("province", _("Province level")),
    ("county", _("County level")),
]
HOSPITAL_GRADES = [
    ("3", _("Grade 3 (三级)")),
    ("2", _("Grade 2 (二级)")),
    ("1", _("Grade 1 (一级)")),
]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal(0)}
DATE = forms.DateInput(attrs={"type": "date"})


def money_field(label, help_text=""):
    return forms.DecimalField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        **MONEY,
    )


class CalculatorForm(forms.Form):
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
        label=_("Hospital grade"), choices=HOSPITAL_GRADES, required=False
    )
    # work injury
    injured_on = forms.DateField(label=_("Date of the injury"), required=False, widget=DATE)
    grade = forms.ChoiceField(
        label=_("Disability grade"), choices=GRADE_CHOICES, required=False, initial="10"
    )
    certificate_level = forms.ChoiceField(
        label=_("Appraisal committee level"), choices=LEVEL_CHOICES, required=False
    )

    def __init__(self, *args, years: list[int], illnesses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["illness"].choices = [("", _("— choose —"))] + [(n, n) for n in illnesses]

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

    def clean(self):
        data = super().clean()
        required = {
            "critical_illness": ["illness", "diagnosed_on"],
            "work_injury": ["injured_on", "grade"],
        }.get(data.get("benefit"), [])
        for name in required:
            if not data.get(name):
                self.add_error(name, _("This field is required."))
        return data


class StayForm(forms.Form):
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
    liability_percent = forms.DecimalField(
        label=_("Traffic accident: your share of liability (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=100,
        widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
    )

    TRAFFIC_FIELDS = ("traffic_total_cost", "liability_percent")

    def general_fields(self):
        return [field for field in self if field.name not in self.TRAFFIC_FIELDS]

    def traffic_fields(self):
        """Shown only when the cause is a traffic accident (CSS, no script)."""
        return [self[name] for name in self.TRAFFIC_FIELDS]


StayFormSet = formset_factory(StayForm, extra=0, min_num=1, validate_min=True, max_num=20)


def _amount(value) -> str:
    return str(value) if value is not None else "0"


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
                episode["liability_ratio"] = str(
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
