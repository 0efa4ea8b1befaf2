"""Everything a user sees is Chinese: every message of each catalog is translated, and the
compiled .mo files match their .po sources."""

import ast
import gettext
from pathlib import Path

import pytest

import huzhu

CATALOGS = sorted(Path(huzhu.__file__).parent.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def parse_po(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    key = field = None
    parts: dict[str, list[str]] = {}

    def flush():
        if parts.get("msgid") is not None and "".join(parts["msgid"]):
            msgid = "".join(parts["msgid"])
            if parts.get("msgctxt") is not None:
                msgid = f"{''.join(parts['msgctxt'])}\x04{msgid}"
            plural = parts.get("msgid_plural")
            entries[msgid if plural is None else f"{msgid}\x00{''.join(plural)}"] = "".join(
                parts.get("msgstr", parts.get("msgstr[0]", []))
            )

    for line in path.read_text("utf-8").splitlines():
        if line.startswith("#, ") and "fuzzy" in line:
            entries["__fuzzy__"] = line
        if line.startswith("msgctxt "):
            flush()
            parts, key = {}, None
        elif line.startswith("msgid ") and key != "msgctxt":
            flush()
            parts, key = {}, None
        if line.startswith(("msgctxt", "msgid", "msgstr")):
            field, _, rest = line.partition(" ")
            parts[field] = [ast.literal_eval(rest)]
            key = field
        elif line.startswith('"') and key:
            parts[key].append(ast.literal_eval(line))
    flush()
    return entries


def test_there_is_a_catalog():
    assert CATALOGS


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_every_message_is_translated_and_compiled(po):
    entries = parse_po(po)
    assert "__fuzzy__" not in entries
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []
    with open(po.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, msgstr in entries.items():
        if "\x00" in msgid:
            assert compiled.ngettext(*msgid.split("\x00"), 1) == msgstr, msgid
        elif "\x04" in msgid:
            assert compiled.pgettext(*msgid.split("\x04")) == msgstr, msgid
        else:
            assert compiled.gettext(msgid) == msgstr, f"{po}: stale .mo for {msgid!r}"
