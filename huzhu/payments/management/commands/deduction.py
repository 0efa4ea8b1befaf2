"""huzhu deduction create --year Y [--out FILE]   (SPEC D3, D4)
huzhu deduction apply FILE                      (SPEC D5; then the failure SMS of D8)"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.localfiles import LocalFileError, read_bank_file
from huzhu.payments.bankfile import PaymentFileError, money
from huzhu.payments.feedback import notify_failures
from huzhu.payments.services import apply_result, create_batch, request_content
from huzhu.years import scheme_year, year_option_error


class Command(BaseCommand):
    help = "Build a collective deduction batch, or apply the bank's result file."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", help="build a batch and write its bank file")
        create.add_argument("--year", required=True)
        create.add_argument("--out", help="where to write the bank file")
        apply = verbs.add_parser("apply", help="apply a bank result file")
        apply.add_argument("file")

    def handle(self, *args, verb, **options):
        try:
            if verb == "create":
                self.create(options["year"], options.get("out"))
            else:
                self.apply(Path(options["file"]))
        except PaymentFileError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        except LocalFileError as exc:
            raise CommandError(exc.message, returncode=2) from exc

    def create(self, year_text: str, out: str | None) -> None:
        year = scheme_year(year_text)
        if year is None:
            raise CommandError(year_option_error("--year"), returncode=2)
        batch = create_batch(year=year, actor=None)
        if batch is None:
            self.stdout.write(_("Nothing to deduct for %(year)s.") % {"year": year})
            return
        path = Path(out) if out else Path(f"deduction-{batch.number}.txt")
        path.write_bytes(request_content(batch))
        self.stdout.write(
            _("Batch %(number)s: %(n)s items, %(total)s yuan, written to %(path)s")
            % {
                "number": batch.number,
                "n": batch.item_count,
                "total": money(batch.total),
                "path": path,
            }
        )

    def apply(self, path: Path) -> None:
        applied = apply_result(content=read_bank_file(path), actor=None)
        if applied.already:
            self.stdout.write(
                _("This result file of batch %(number)s was already applied; nothing changed.")
                % {"number": applied.batch.number}
            )
            return
        self.stdout.write(
            _("Batch %(number)s: %(debited)s debited, %(failed)s failed.")
            % {"number": applied.batch.number, "debited": applied.debited, "failed": applied.failed}
        )
        notified = notify_failures(applied.batch)
        self.stdout.write(
            _(
                "Failure notices: %(sent)s sent, %(no_phone)s members without a phone, "
                "%(failed)s not sent."
            )
            % {
                "sent": notified.sent,
                "no_phone": notified.no_phone,
                "failed": notified.send_failed,
            }
        )
