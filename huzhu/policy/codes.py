"""The fixed codes of the calculator contract (SPEC §10, B-X1, B-X2), one list each, with
the words a person sees for them.

Everything that names these codes reads them here: the case parser checks input against
them, the calculator forms offer them as choices, the OpenAPI document lists them as enums
and the calculator answers with them. A test compares the allowed values of the three
(tests/api/test_codes.py). A policy file gives the exclusions their Chinese labels; a test
keeps the shipped files' codes equal to these lists.
"""

from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

BENEFITS = ("hospitalization", "critical_illness", "work_injury")
CAUSES = ("illness", "maternity", "accident", "traffic_accident", "work_injury")
ACCIDENT_CAUSES = ("accident", "traffic_accident")  # B-X1: orthopaedics is covered for these
INSURANCE_SCOPES = ("jiangsu", "other_province")
CERTIFICATE_LEVELS = ("county", "city", "province")  # lowest first: the rank is the position
CERTIFICATE_RANK = {level: rank for rank, level in enumerate(CERTIFICATE_LEVELS)}
WORK_INJURY_GRADES: tuple[int | str, ...] = ("death", *range(1, 11))
HOSPITAL_GRADES = (1, 2, 3)

# B-X1: no hospitalization or work-injury benefit.
GENERAL_EXCLUSIONS = (
    "fraud",
    "intoxication",
    "fighting",
    "self_harm",
    "crime",
    "drunk_driving",
    "unlicensed_driving",
    "unlicensed_vehicle",
    "health_check",
    "convalescence",
    "special_nursing",
    "rehabilitation",
    "physiotherapy",
    "cosmetic",
    "dental",
    "orthopedic",
    "sex_reassignment",
    "preventive_surgery",
    "complication",
    "bed_occupancy",
)
# B-X2: no critical-illness benefit.
CRITICAL_ILLNESS_EXCLUSIONS = ("pre_existing", "concealment", "misdiagnosis", "fraud")

# --- the answer ------------------------------------------------------------------------

DECISIONS = ("approved", "rejected", "needs_settlement")
# Why a case was decided as it was, besides the exclusion codes found by a reviewer.
REASONS = (
    "no_policy_for_year",
    "outside_coverage_period",
    "work_injury_stay",
    "needs_settlement",
    "below_threshold",
    "already_paid",
    "not_listed_illness",
    "first_diagnosis_after_diagnosis",
    "pre_existing",
    "hospital_grade",
    "certificate_level",
)
ALL_REASONS = tuple(dict.fromkeys(REASONS + GENERAL_EXCLUSIONS + CRITICAL_ILLNESS_EXCLUSIONS))
# How one hospital stay was counted (B-H1, B-H2, B-X1).
STAY_RULES = (
    "outside_coverage_period",
    "excluded",
    "work_injury_stay",
    "needs_settlement",
    "settled",
    "unsettled",
    "settled_and_unsettled",
    "traffic_accident",
)

# --- the words for them (msgids; translated where they are shown) ----------------------

BENEFIT_LABELS = {
    "hospitalization": _("Hospitalization subsidy"),
    "critical_illness": _("Critical-illness subsidy"),
    "work_injury": _("Work-injury subsidy"),
}
CAUSE_LABELS = {
    "illness": _("Illness"),
    "maternity": _("Childbirth"),
    "accident": _("Accident"),
    "traffic_accident": _("Traffic accident"),
    "work_injury": _("Work injury"),
}
INSURANCE_SCOPE_LABELS = {"jiangsu": _("In Jiangsu"), "other_province": _("Outside Jiangsu")}
# Plain msgids: the calculator translates them with its batch's catalog.
CERTIFICATE_LEVEL_NAMES = {
    "county": "County level",
    "city": "City level",
    "province": "Province level",
}
CERTIFICATE_LEVEL_LABELS = {code: _(name) for code, name in CERTIFICATE_LEVEL_NAMES.items()}


def _grade_label(grade: int | str) -> str:
    return gettext("Grade %(grade)s") % {"grade": grade}


WORK_INJURY_GRADE_LABELS = {
    grade: _("Death from a work injury") if grade == "death" else lazy(_grade_label, str)(grade)
    for grade in WORK_INJURY_GRADES
}
HOSPITAL_GRADE_LABELS = {
    1: _("Grade 1 (一级)"),
    2: _("Grade 2 (二级)"),
    3: _("Grade 3 (三级)"),
}


def _check() -> None:
    """Every code has its words; a missing label fails at import, not on a page."""
    for values, labels in (
        (BENEFITS, BENEFIT_LABELS),
        (CAUSES, CAUSE_LABELS),
        (INSURANCE_SCOPES, INSURANCE_SCOPE_LABELS),
        (CERTIFICATE_LEVELS, CERTIFICATE_LEVEL_NAMES),
        (WORK_INJURY_GRADES, WORK_INJURY_GRADE_LABELS),
        (HOSPITAL_GRADES, HOSPITAL_GRADE_LABELS),
    ):
        if tuple(labels) != values:
            raise ImportError(f"codes and labels differ: {values} / {tuple(labels)}")


_check()
