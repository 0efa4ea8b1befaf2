"""huzhu roster import FILE --year Y [--password P] [--signed-on DATE] [--unit NAME]
                         [--renewal] [--dry-run] [--json]
huzhu roster export --year Y --unit NAME [--password P] [--out DIR]
huzhu roster forms --year Y (--unit NAME | --member ID_NUMBER) [--out FILE]

The paper channel (SPEC E6, X1–X9). The work is in huzhu.rosters.cli_import and
huzhu.rosters.cli_output; this file only reads the command line."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Import or export a roster (附件4), or print authorization forms (附件3)."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        importing = verbs.add_parser(
            "import",
            help="import a roster file",
            description="Rejected rows are written with their reasons to <file>_错误说明.xlsx "
            "next to the file (in the data folder's rosters/ when that folder is read-only), "
            "also for a dry run. Exit 0 when the file was processed, 2 when it could not be "
            "read.",
        )
        importing.add_argument("file")
        importing.add_argument("--year", required=True)
        importing.add_argument(
            "--password",
            nargs="?",
            const="-",
            help="the workbook's password; without a value, or with -, ask for it",
        )
        importing.add_argument("--signed-on", help="when the forms were signed (default today)")
        importing.add_argument("--unit", help="the grassroots union handing the roster in")
        importing.add_argument(
            "--renewal", action="store_true", help="a renewal roster (续保付款授权汇总表)"
        )
        importing.add_argument("--dry-run", action="store_true", help="check, write nothing")
        importing.add_argument("--json", action="store_true", help="print the outcome as JSON")

        exporting = verbs.add_parser("export", help="write a unit's roster in the notice's layout")
        exporting.add_argument("--year", required=True)
        exporting.add_argument("--unit", required=True)
        exporting.add_argument(
            "--password",
            nargs="?",
            const="-",
            help="encrypt the workbook with this password (full numbers); without a value, "
            "or with -, ask for it (read from standard input when that is not a terminal)",
        )
        exporting.add_argument("--out", default=".", help="the folder to write into")

        forms = verbs.add_parser("forms", help="print pre-filled authorization forms (PDF)")
        forms.add_argument("--year", required=True)
        who = forms.add_mutually_exclusive_group(required=True)
        who.add_argument("--unit", help="every member enrolled under this unit")
        who.add_argument(
            "--member",
            nargs="?",
            const="-",
            help="one member, by ID number; without a value, or with -, ask for it",
        )
        forms.add_argument("--out", help="the PDF file to write")

    def handle(self, *args, verb, **options):
        if verb == "import":
            from huzhu.rosters.cli_import import run_import

            run_import(self, **options)
        else:
            from huzhu.rosters import cli_output

            getattr(cli_output, f"run_{verb}")(self, **options)
