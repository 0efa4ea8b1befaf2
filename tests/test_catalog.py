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


GETTEXT_NAMES = {"_", "_lazy", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}


def _literal_msgids(path: Path):
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in GETTEXT_NAMES or not node.args:
            continue
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if len(args) != len(node.args) or not all(isinstance(a, str) for a in args):
            continue
        yield "\x04".join(args) if node.func.id.startswith("pgettext") else args[0]


def test_every_message_of_the_code_is_in_the_catalog():
    """A message written in the code but never added to the catalog shows in English."""
    root = Path(huzhu.__file__).parent
    known = parse_po(root / "locale/zh_Hans/LC_MESSAGES/django.po")
    missing = [
        f"{path.relative_to(root)}: {msgid!r}"
        for path in sorted(root.glob("**/*.py"))
        if "migrations" not in path.parts
        for msgid in _literal_msgids(path)
        if msgid not in known
    ]
    assert missing == []
