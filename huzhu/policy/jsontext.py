"""Reading the calculator's JSON text (SPEC §10), shared by the API and `huzhu calc`.

UTF-8 only (RFC 8259 §8.1), a UTF-8 byte-order mark at the start ignored; numbers as
Decimal; every fault an input error in Chinese with its line and column, never the json
module's English; no string that is not text (a lone surrogate) gets past.
"""

import codecs
import json
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from huzhu.policy.cases import CaseError, shown

# A lone surrogate can only come from a \uXXXX escape: the text itself is strict UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_number(text: str) -> Decimal:
    """A JSON number with a fraction or exponent, exactly (never a float)."""
    try:
        return Decimal(text)
    except InvalidOperation:
        # An exponent beyond what Decimal holds: an endless amount or nothing at all.
        sign = "-" if text.startswith("-") else ""
        return Decimal(f"{sign}0" if "e-" in text.lower() else f"{sign}Infinity")


def _json_integer(text: str) -> int | Decimal:
    # int() refuses more than 4,300 digits with a ValueError, and would read -0 as 0.
    return int(text) if len(text) < 19 and not text.startswith("-") else _json_number(text)


def _not_json(message: str) -> CaseError:
    return CaseError("", message)


def _decoded(data: bytes | str) -> str:
    """The text of a body or file: UTF-8, a leading UTF-8 byte-order mark dropped."""
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate in a str from Python code
            raise _not_json(_("Not valid JSON: it is not UTF-8 text.")) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]  # Windows tools write one; RFC 8259 lets it go
    elif data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or (
        len(data) > 1 and b"\x00" in data[:2]
    ):
        # UTF-16 and UTF-32: their BOM, or the zero byte of an ASCII first character.
        raise _not_json(_("Not valid JSON: it is UTF-16 or UTF-32 text. Save or send it as UTF-8."))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        raise _not_json(
            _(
                "Not valid JSON: the text at line %(line)s, column %(column)s is not UTF-8. "
                "Save or send it as UTF-8."
            )
            % {"line": line, "column": column}
        ) from None


def _syntax_error(exc: json.JSONDecodeError) -> CaseError:
    """The json module's fault in Chinese: its few kinds of message, with line and column."""
    where = {"line": exc.lineno, "column": exc.colno}
    kind = exc.msg
    if kind.startswith("Expecting value"):
        message = _("Not valid JSON: a value is expected at line %(line)s, column %(column)s.")
    elif kind.startswith("Expecting property name"):
        message = _(
            "Not valid JSON: a field name in double quotes is expected at line %(line)s, "
            "column %(column)s."
        )
    elif kind.startswith("Expecting ':'"):
        message = _("Not valid JSON: a colon (:) is expected at line %(line)s, column %(column)s.")
    elif kind.startswith("Expecting ','"):
        message = _(
            "Not valid JSON: a comma (,) or a closing bracket is expected at line %(line)s, "
            "column %(column)s."
        )
    elif kind.startswith("Illegal trailing comma"):  # Python 3.13 and later
        message = _(
            "Not valid JSON: a comma before a closing bracket at line %(line)s, column %(column)s."
        )
    elif kind.startswith("Extra data"):
        message = _("Not valid JSON: there is extra content near line %(line)s, column %(column)s.")
    elif kind.startswith("Unterminated string"):
        message = _(
            "Not valid JSON: the string that starts at line %(line)s, column %(column)s has no "
            "closing quote."
        )
    elif kind.startswith("Invalid control character"):
        message = _(
            "Not valid JSON: a control character (such as a line break or a tab) in a string "
            "at line %(line)s, column %(column)s; write it as an escape such as \\n."
        )
    elif kind.startswith("Invalid \\"):
        message = _(
            "Not valid JSON: an invalid backslash escape at line %(line)s, column %(column)s."
        )
    else:
        message = _("Not valid JSON: an error near line %(line)s, column %(column)s.")
    return _not_json(message % where)


def _lone_surrogate(text: str) -> str | None:
    """The first lone surrogate of a decoded JSON string (the decoder joins the halves of a
    pair, so whatever surrogate is left stands alone)."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    return found.group() if found is not None else None


def _refuse_lone_surrogates(payload) -> None:
    """Every string of the payload is text: a lone surrogate is an error naming the field (the
    case's index and the path in it), or "not valid JSON" in a field name."""
    cases = list(enumerate(payload)) if isinstance(payload, list) else [(0, payload)]
    for index, case in cases:
        pending = [("", case)]
        while pending:
            path, value = pending.pop()
            if isinstance(value, str):
                surrogate = _lone_surrogate(value)
                if surrogate is not None:
                    raise CaseError(
                        path,
                        _(
                            "contains %(escape)s, half of a character (a lone surrogate), "
                            "which is not text."
                        )
                        % {"escape": shown(surrogate)},
                        index=index,
                    )
            elif isinstance(value, list):
                pending.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
            elif isinstance(value, dict):
                for key, item in value.items():
                    surrogate = _lone_surrogate(key)
                    if surrogate is not None:
                        raise CaseError(
                            "",
                            _(
                                "Not valid JSON: a field name contains %(escape)s, half of a "
                                "character (a lone surrogate)."
                            )
                            % {"escape": shown(surrogate)},
                            index=index,
                        )
                    pending.append((f"{path}.{key}" if path else key, item))


def load_json(data: bytes | str):
    """The cases of a JSON text, numbers as Decimal; raises CaseError (field "" when the text
    is not JSON). NaN and Infinity literals are read, and refused by the fields."""
    text = _decoded(data)
    try:
        payload = json.loads(
            text, parse_float=_json_number, parse_int=_json_integer, parse_constant=Decimal
        )
    except RecursionError:
        raise _not_json(_("Not valid JSON: it is nested too deeply.")) from None
    except json.JSONDecodeError as exc:
        raise _syntax_error(exc) from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(payload)
    return payload
