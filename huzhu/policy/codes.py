"""The fixed codes of the calculator contract (SPEC §10, B-X1, B-X2), one list each.

The case parser checks input against them and the OpenAPI document lists them as enums, so
the two cannot drift apart. A policy file gives the exclusions their Chinese labels; a test
keeps the shipped files' codes equal to these lists.
"""

BENEFITS = ("hospitalization", "critical_illness", "work_injury")
CAUSES = ("illness", "maternity", "accident", "traffic_accident", "work_injury")
INSURANCE_SCOPES = ("jiangsu", "other_province")
CERTIFICATE_LEVELS = ("county", "city", "province")
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
