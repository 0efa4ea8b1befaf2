"""The OpenAPI description of the calculator contract (SPEC §10). The parser in
huzhu/policy/cases.py is the authority; a test keeps the two field lists equal."""

AMOUNT = {"type": ["string", "number"], "description": "yuan, ≥ 0", "examples": ["6200"]}
DATE = {"type": "string", "format": "date"}
EXCLUSIONS = {"type": "array", "items": {"type": "string"}, "default": []}

EPISODE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["admitted_on"],
    "properties": {
        "admitted_on": DATE,
        "cause": {
            "enum": ["illness", "maternity", "accident", "traffic_accident", "work_injury"],
            "default": "illness",
        },
        "insurance_scope": {"enum": ["jiangsu", "other_province"], "default": "jiangsu"},
        "settled_self_pay": {**AMOUNT, "default": "0"},
        "unsettled_cost": {**AMOUNT, "default": "0"},
        "settlement_pending": {"type": "boolean", "default": False},
        "traffic_total_cost": {**AMOUNT, "default": "0"},
        "liability_ratio": {**AMOUNT, "default": "1", "description": "0 to 1"},
        "exclusions": EXCLUSIONS,
    },
}

COMMON = {
    "year": {"type": "integer", "examples": [2022]},
    "already_paid": {**AMOUNT, "default": "0"},
}

CASES = {
    "hospitalization": {
        "episodes": {"type": "array", "items": EPISODE},
    },
    "critical_illness": {
        "illness": {"type": "string", "description": "name, alias or code from the list"},
        "diagnosed_on": DATE,
        "first_diagnosed_on": {**DATE, "description": "defaults to diagnosed_on"},
        "hospital": {
            "type": "object",
            "additionalProperties": False,
            "required": ["grade"],
            "properties": {
                "in_changzhou": {"type": "boolean", "default": True},
                "grade": {"enum": [1, 2, 3]},
            },
        },
        "exclusions": EXCLUSIONS,
    },
    "work_injury": {
        "injured_on": DATE,
        "grade": {"enum": ["death", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]},
        "certificate_level": {"enum": ["county", "city", "province"], "default": "city"},
        "exclusions": EXCLUSIONS,
    },
}
REQUIRED = {
    "hospitalization": [],
    "critical_illness": ["illness", "diagnosed_on", "hospital"],
    "work_injury": ["injured_on", "grade"],
}


def case_schema(benefit: str) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["year", "benefit", *REQUIRED[benefit]],
        "properties": {"benefit": {"const": benefit}, **COMMON, **CASES[benefit]},
    }


CASE = {"oneOf": [case_schema(b) for b in CASES]}
REQUEST = {
    "required": True,
    "content": {
        "application/json": {"schema": {"oneOf": [CASE, {"type": "array", "items": CASE}]}}
    },
}
RESULT = {
    "type": "object",
    "properties": {
        "benefit": {"type": "string"},
        "decision": {"enum": ["approved", "rejected", "needs_settlement"]},
        "amount": {"type": "string"},
        "entitlement": {"type": "string"},
        "already_paid": {"type": "string"},
        "counted_self_pay": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "episodes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"counted": {"type": "string"}, "rule": {"type": "string"}},
            },
        },
        "explanation": {"type": "array", "items": {"type": "string"}},
    },
}
RESPONSES = {
    "200": {
        "description": "one result per case, in the same shape as the request",
        "content": {
            "application/json": {"schema": {"oneOf": [RESULT, {"type": "array", "items": RESULT}]}}
        },
    },
    "422": {
        "description": "bad input: each error names the case index and the field",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "index": {"type": "integer"},
                                    "field": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            },
                        }
                    },
                }
            }
        },
    },
}
