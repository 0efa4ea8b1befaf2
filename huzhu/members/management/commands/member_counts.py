"""huzhu member_counts [--check]: compare each unit's kept member count with its members,
and repair the counts that differ (docs/decisions.md, "Page cost at district scale")."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.members.selectors import member_count_drift
from huzhu.members.services import repair_member_counts


class Command(BaseCommand):
    help = "Check the member count kept per unit against the members, and repair it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="only report; exit 1 when a count differs"
        )

    def handle(self, *args, check=False, **options):
        if check:
            drift = member_count_drift()
            if drift:
                raise CommandError(
                    _("%(n)s units have a member count that differs from their members.")
                    % {"n": len(drift)},
                    returncode=1,
                )
            self.stdout.write(_("Every unit's member count is right."))
            return
        changed = repair_member_counts()
        self.stdout.write(_("Member counts repaired: %(n)s units changed.") % {"n": changed})
