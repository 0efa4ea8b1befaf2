"""The OpenAPI description of POST /api/v1/bank/notices (SPEC §7a), written by hand: the
body is read raw, because the signature covers its exact bytes."""

# A signing notice is under 2 KB; anything past this is refused before it is read or HMAC'd.
MAX_BODY_BYTES = 64 * 1024

_ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}

_MEMBER = {
    "type": "object",
    "required": ["id_number"],
    "properties": {
        "name": {"type": "string"},
        "id_number": {"type": "string"},
        "phone": {"type": "string"},
        "union_card": {"type": "string"},
        "town": {"type": "string", "description": "The organizing unit's name as in 附件1."},
        "employer": {"type": "string"},
        "has_basic_insurance": {"type": "boolean"},
        "insurance_scope": {"type": "string", "enum": ["jiangsu", "other_province"]},
    },
}

REQUEST = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["notice_id", "type", "year", "occurred_at", "member"],
                "properties": {
                    "notice_id": {"type": "string", "maxLength": 100},
                    "type": {"type": "string", "enum": ["signing", "revocation", "payment"]},
                    "year": {"type": "integer"},
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "member": _MEMBER,
                    "amount": {"type": "string"},
                    "transaction_id": {"type": "string"},
                },
            }
        }
    },
}

PARAMETERS = [
    {
        "name": "X-Huzhu-Timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Unix seconds; more than 300 s from the server's clock answers 401.",
    },
    {
        "name": "X-Huzhu-Signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Lowercase hex HMAC-SHA256 over `{timestamp}.{raw body}` with the "
        "shared secret (HUZHU_BANK_SECRET).",
    },
]


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


RESPONSES = {
    "200": _json(
        {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "string", "enum": ["accepted", "duplicate"]},
                "enrollment_state": {"type": "string"},
            },
        },
        "Accepted, or the same notice_id again (duplicate: nothing changed).",
    ),
    "401": _json(_ERROR, "Missing or wrong signature, or a stale timestamp."),
    "413": _json(
        _ERROR,
        f"The body is larger than {MAX_BODY_BYTES // 1024} KiB; refused before it is read "
        "or its signature checked.",
    ),
    "409": _json(_ERROR, "Refused by the rules (kept for follow-up); message in Chinese."),
    "422": _json(
        {
            "type": "object",
            "required": ["code", "field", "message"],
            "properties": {
                "code": {"type": "string"},
                "field": {"type": "string"},
                "message": {"type": "string"},
            },
        },
        "The body does not match the contract; `field` names where (for a payment: "
        "`amount` must be yuan as a string with at most two places).",
    ),
}

DESCRIPTION = (
    "The bank's signing, revocation and payment notices (SPEC §7a). A payment with "
    "another amount than the year's fee (`wrong_amount`), for an ID with no enrollment "
    "that year (`no_enrollment`) or for a revoked or lapsed enrollment "
    "(`enrollment_revoked`, `enrollment_lapsed`) answers 409; a transaction id already "
    "applied answers `duplicate`. Signed with HMAC-SHA256; "
    "without a valid signature every request answers 401."
)
