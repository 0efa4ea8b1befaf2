"""huzhu payments refunds [--json]     (SPEC D7: the refunds to make, masked)
huzhu payments refund-made ID       (SPEC D7: one refund paid back, audited)"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.payments.bankfile import PaymentFileError, money
from huzhu.payments.services import mark_refund_made, refunds_to_make


class Command(BaseCommand):
    help = "List the refunds to make, or mark one made."

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True)
        listing = verbs.add_parser("refunds", help="list the refunds to make")
        listing.add_argument("--json", action="store_true")
        made = verbs.add_parser("refund-made", help="mark a refund made")
        made.add_argument("id", type=int)

    def handle(self, *args, verb, **options):
        if verb == "refund-made":
            try:
                refund = mark_refund_made(refund_id=options["id"], actor=None)
            except PaymentFileError as exc:
                raise CommandError(exc.message, returncode=2) from exc
            self.stdout.write(_("Refund %(id)s marked made.") % {"id": refund.pk})
            return
        rows = [
            {
                "id": refund.pk,
                "name": refund.enrollment.member.name,
                "id_number_masked": refund.enrollment.member.id_number_masked,
                "year": refund.enrollment.year,
                "amount": money(refund.amount),
                "source": refund.source,
                "reason": refund.reason,
                "created_at": refund.created_at.isoformat(),
            }
            for refund in refunds_to_make()
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']}\t{row['name']}\t{row['id_number_masked']}\t{row['year']}\t"
                f"{row['amount']}\t{row['reason']}"
            )
