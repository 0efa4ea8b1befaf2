"""The OpenAPI description of the calculator contract (SPEC §10). The parser in
huzhu/policy/cases.py is the authority: the patterns and bounds here are its own names,
the codes come from huzhu/policy/codes.py as the parser's and the forms' do, a test
compares the fields and the allowed values of the three (tests/api/test_codes.py), and
schemathesis checks that the server accepts what this document calls valid and refuses
the rest."""

from huzhu.policy import cases, codes

# Over the API: how many cases one request may hold, and how large its body may be.
MAX_CASES = 100
MAX_BODY_BYTES = 1024 * 1024

AMOUNT_LIMIT = 10**cases.MAX_INTEGER_DIGITS
AMOUNT = {
    "type": ["string", "number"],
    "pattern": cases.AMOUNT_PATTERN,
    "minimum": 0,
    "exclusiveMaximum": AMOUNT_LIMIT,
    "description": (
        "yuan, 0 or more and below 1,000,000,000,000: a string of digits (at most 12 before "
        f"the decimal point and {cases.MAX_STRING_DECIMALS} after) or a JSON number; "
        "rounded half-up to the fen"
    ),
    "examples": ["6200.50"],
}
RATIO = {
    "type": ["string", "number"],
    "pattern": cases.RATIO_PATTERN,
    "minimum": 0,
    "maximum": 1,
    "description": "the member's share of liability, 0 to 1 (0.7 = 70%), taken to 4 places",
    "default": "1",
}
ZERO = {
    "type": ["string", "number"],
    "pattern": cases.ZERO_PATTERN,
    "minimum": 0,
    "maximum": 0,
}
DATE = {"type": "string", "format": "date", "pattern": cases.DATE_PATTERN}


def exclusions(allowed: tuple[str, ...]) -> dict:
    return {
        "type": "array",
        "maxItems": len(allowed),
        "items": {"enum": list(allowed)},
        "default": [],
    }


EPISODE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["admitted_on"],
    "properties": {
        "admitted_on": DATE,
        "cause": {"enum": list(codes.CAUSES), "default": "illness"},
        "insurance_scope": {"enum": list(codes.INSURANCE_SCOPES), "default": "jiangsu"},
        "settled_self_pay": {**AMOUNT, "default": "0"},
        "unsettled_cost": {**AMOUNT, "default": "0"},
        "settlement_pending": {"type": "boolean", "default": False},
        "traffic_total_cost": {
            **AMOUNT,
            "default": "0",
            "description": AMOUNT["description"] + "; only for cause traffic_accident",
        },
        "liability_ratio": RATIO,
        "exclusions": exclusions(codes.GENERAL_EXCLUSIONS),
    },
    # A traffic accident's total cost only for a stay caused by one (0 is always fine).
    "if": {"required": ["cause"], "properties": {"cause": {"const": "traffic_accident"}}},
    "else": {"properties": {"traffic_total_cost": ZERO}},
}

COMMON = {
    "year": {"type": "integer", "minimum": 2000, "maximum": 2100, "examples": [2022]},
    "already_paid": {**AMOUNT, "default": "0"},
}

CASES: dict[str, dict[str, dict]] = {
    "hospitalization": {
        "episodes": {"type": "array", "maxItems": cases.MAX_STAYS, "items": EPISODE},
    },
    "critical_illness": {
        "illness": {
            "type": "string",
            "minLength": 1,
            "maxLength": cases.MAX_ILLNESS_LENGTH,
            "pattern": cases.ILLNESS_PATTERN,
            "description": (
                "name, alias or code from the list; at least one visible character, no "
                "control or format characters (zero-width spaces, direction marks, a BOM)"
            ),
        },
        "diagnosed_on": DATE,
        "first_diagnosed_on": {
            **DATE,
            "description": (
                "defaults to diagnosed_on; a date after diagnosed_on is answered with the "
                "decision rejected and the reason first_diagnosis_after_diagnosis"
            ),
        },
        "hospital": {
            "type": "object",
            "additionalProperties": False,
            "required": ["grade"],
            "properties": {
                "in_changzhou": {"type": "boolean", "default": True},
                "grade": {"enum": list(codes.HOSPITAL_GRADES)},
            },
        },
        "exclusions": exclusions(codes.CRITICAL_ILLNESS_EXCLUSIONS),
    },
    "work_injury": {
        "injured_on": DATE,
        "grade": {"enum": list(codes.WORK_INJURY_GRADES)},
        "certificate_level": {"enum": list(codes.CERTIFICATE_LEVELS), "default": "city"},
        "exclusions": exclusions(codes.GENERAL_EXCLUSIONS),
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
ENCODING = (
    "UTF-8 JSON (RFC 8259); a UTF-8 byte-order mark at the start is ignored. Other encodings "
    "(UTF-16, UTF-32, GBK) are refused with 422, and a charset parameter changes nothing. "
    "Text is Unicode: an escaped lone surrogate (\\ud800) is refused with 422 naming the field."
)
REQUEST = {
    "required": True,
    "description": ENCODING,
    "content": {
        "application/json": {
            "schema": {"oneOf": [CASE, {"type": "array", "maxItems": MAX_CASES, "items": CASE}]}
        }
    },
}
MONEY_TEXT = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$"}
RESULT = {
    "type": "object",
    "required": [
        "benefit",
        "decision",
        "amount",
        "entitlement",
        "already_paid",
        "reasons",
        "explanation",
    ],
    "properties": {
        "benefit": {"enum": list(codes.BENEFITS)},
        "decision": {"enum": list(codes.DECISIONS)},
        "amount": MONEY_TEXT,
        "entitlement": MONEY_TEXT,
        "already_paid": MONEY_TEXT,
        "counted_self_pay": MONEY_TEXT,
        "reasons": {"type": "array", "items": {"enum": list(codes.ALL_REASONS)}},
        "episodes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["counted", "rule"],
                "properties": {"counted": MONEY_TEXT, "rule": {"enum": list(codes.STAY_RULES)}},
            },
        },
        "explanation": {"type": "array", "items": {"type": "string"}},
    },
}
REFUSAL = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}
RESPONSES = {
    "200": {
        "description": "one result per case, in the same shape as the request",
        "content": {
            "application/json": {"schema": {"oneOf": [RESULT, {"type": "array", "items": RESULT}]}}
        },
    },
    "413": {
        "description": f"the body is larger than {MAX_BODY_BYTES // 1024} KiB",
        "content": {"application/json": {"schema": REFUSAL}},
    },
    "422": {
        "description": (
            "bad input: each error names the case index and the field (an empty field for "
            f"the body as a whole: not JSON, or more than {MAX_CASES} cases)"
        ),
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {
                        "errors": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["index", "field", "message"],
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
    "429": {
        "description": "too many requests from this address; try again after Retry-After",
        "headers": {
            "Retry-After": {
                "description": "seconds to wait",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
        "content": {"application/json": {"schema": REFUSAL}},
    },
}


def description(rate: int) -> str:
    return (
        "One case object or an array of them (SPEC §10); amounts are yuan as strings or "
        "numbers. Limits: at most "
        f"{MAX_CASES} cases and {MAX_BODY_BYTES // 1024} KiB per request (bulk work belongs "
        f"to the `huzhu calc` command), and {rate} requests a minute from one address for "
        "callers who are not signed in (429 with Retry-After beyond that). Exclusion codes "
        "must also be on the list of the case's scheme-year policy (422 otherwise; the "
        "shipped policies list them all). " + ENCODING
    )
