"""huzhu policy show YEAR | diff A B | draft --from YEAR --year YEAR [--out FILE]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.oserrors import describe_os_error, returncode
from huzhu.policy.comparison import compare
from huzhu.policy.document import (
    PolicyError,
    diff_documents,
    read_policy_file,
    shipped_policy_files,
)
from huzhu.policy.drafts import draft_from
from huzhu.policy.models import PolicyVersion
from huzhu.policy.selectors import current_version
from huzhu.years import scheme_year, year_option_error


def version_of(ref: str) -> PolicyVersion:
    """'2022' is the latest version of 2022; '2022:1' is its version 1."""
    year, _sep, number = ref.partition(":")
    found = None
    scheme = scheme_year(year)
    if scheme is not None and number.isascii() and number.isdigit() and len(number) < 10:
        found = PolicyVersion.objects.filter(year=scheme, version=int(number)).first()
    elif scheme is not None and not number:
        found = current_version(scheme)
    if found is None:
        raise CommandError(_("No policy version %(ref)s.") % {"ref": ref}, returncode=2)
    return found


class Command(BaseCommand):
    help = "Show a scheme year's policy, compare two versions, or draft a new year."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        show = verbs.add_parser("show", help="print a policy as JSON")
        show.add_argument("ref", help="YEAR or YEAR:VERSION")
        diff = verbs.add_parser("diff", help="differences between two policies")
        diff.add_argument("old")
        diff.add_argument("new")
        diff.add_argument(
            "--raw", action="store_true", help="key paths and JSON values instead of words"
        )
        draft = verbs.add_parser("draft", help="a new year's policy file from an earlier one")
        draft.add_argument("--from", dest="source", type=int, required=True)
        draft.add_argument("--year", type=int, required=True)
        draft.add_argument("--out", help="file to write (default: {year}.toml)")

    def handle(self, *args, verb, **options):
        if verb == "show":
            version = version_of(options["ref"])
            self.stdout.write(json.dumps(version.document, ensure_ascii=False, indent=2))
        elif verb == "diff":
            old, new = version_of(options["old"]), version_of(options["new"])
            if options["raw"]:
                for key, a, b in diff_documents(old.document, new.document):
                    self.stdout.write(
                        f"{key}: {json.dumps(a, ensure_ascii=False)} → "
                        f"{json.dumps(b, ensure_ascii=False)}"
                    )
                return
            changes = {"added": _("Added"), "removed": _("Removed"), "changed": _("Changed")}
            for row in compare(old.document, new.document):
                self.stdout.write(
                    _("%(section)s · %(label)s: %(old)s → %(new)s (%(change)s)")
                    % {
                        "section": row.section,
                        "label": row.label,
                        "old": row.old or "—",
                        "new": row.new or "—",
                        "change": changes[row.change],
                    }
                )
        else:
            self.draft(options["source"], options["year"], options.get("out"))

    def draft(self, source: int, year: int, out: str | None):
        for option, value in (("--from", source), ("--year", year)):
            if scheme_year(value) is None:
                raise CommandError(year_option_error(option), returncode=2)
        origin = next((p for p in shipped_policy_files() if p.stem == str(source)), None)
        if origin is None:
            raise CommandError(
                _("No shipped policy file for %(year)s.") % {"year": source}, returncode=2
            )
        target = Path(out or f"{year}.toml")
        if target.exists():
            raise CommandError(_("%(path)s already exists.") % {"path": target}, returncode=2)
        try:
            target.write_text(draft_from(origin.read_text("utf-8"), source, year), "utf-8")
            companion = origin.parent / "critical-illnesses.csv"
            if not (target.parent / companion.name).exists():
                (target.parent / companion.name).write_bytes(companion.read_bytes())
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s")
                % {"path": exc.filename or target, "error": describe_os_error(exc)},
                returncode=returncode(exc),
            ) from None
        try:
            read_policy_file(target)
        except PolicyError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(
            _(
                "Draft written to %(path)s: edit it, then ship it as "
                "huzhu/policy/policies/%(year)s.toml."
            )
            % {"path": target, "year": year}
        )
