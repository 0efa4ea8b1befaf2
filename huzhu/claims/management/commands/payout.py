"""huzhu payout create [--out FILE]   (SPEC C4: a payout batch and its bank file)
huzhu payout apply FILE            (SPEC C4, D5: the bank's result, all or nothing)"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.claims.payouts import apply_payout_result, create_payout_batch, request_content
from huzhu.localfiles import LocalFileError, read_bank_file
from huzhu.money import format_yuan
from huzhu.payments.bankfile import PaymentFileError


class Command(BaseCommand):
    help = "Build a payout batch of approved claims, or apply the bank's payout result file."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", help="build a payout batch and write its bank file")
        create.add_argument("--out", help="where to write the bank file")
        apply = verbs.add_parser("apply", help="apply a payout result file")
        apply.add_argument("file")

    def handle(self, *args, verb, **options):
        try:
            if verb == "create":
                self.create(options.get("out"))
            else:
                self.apply(Path(options["file"]))
        except PaymentFileError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        except LocalFileError as exc:
            raise CommandError(exc.message, returncode=2) from exc

    def create(self, out: str | None) -> None:
        batch = create_payout_batch(actor=None)
        if batch is None:
            self.stdout.write(_("No approved claim is waiting for a payout."))
            return
        if batch.request_file is None:
            self.stdout.write(
                _("Payout batch %(number)s: every payout was offset in full; it is settled.")
                % {"number": batch.number}
            )
            return
        path = Path(out) if out else Path(f"payout-{batch.number}.txt")
        path.write_bytes(request_content(batch))
        self.stdout.write(
            _(
                "Payout batch %(number)s: %(n)s payouts to the bank, %(total)s yuan, "
                "written to %(path)s"
            )
            % {
                "number": batch.number,
                "n": batch.item_count,
                "total": format_yuan(batch.total),
                "path": path,
            }
        )

    def apply(self, path: Path) -> None:
        applied = apply_payout_result(content=read_bank_file(path), actor=None)
        if applied.already:
            self.stdout.write(
                _("This result file of batch %(number)s was already applied; nothing changed.")
                % {"number": applied.batch.number}
            )
            return
        self.stdout.write(
            _("Payout batch %(number)s: %(paid)s paid, %(failed)s failed.")
            % {"number": applied.batch.number, "paid": applied.paid, "failed": applied.failed}
        )
