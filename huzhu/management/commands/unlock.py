"""huzhu unlock USERNAME | huzhu unlock --ip ADDRESS: lift a sign-in lockout from the server.

The way back in when the locked account is the only district admin, who would otherwise
unlock users on the Users page (SPEC S4). Every unlock is written to the audit log.
"""

import ipaddress

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huzhu.accounts.selectors import any_staff_user_named
from huzhu.accounts.services import unlock_address, unlock_user


class Command(BaseCommand):
    help = "Lift the sign-in lockout of a staff user (at every address) or of an address."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="the staff user to unlock")
        parser.add_argument("--ip", help="an address locked for trying too many usernames")

    def handle(self, *args, username=None, ip=None, **options):
        if not username and not ip:
            raise CommandError(_("Name a username, or an address with --ip."), returncode=2)
        if ip:
            try:
                address = str(ipaddress.ip_address(ip.strip()))
            except ValueError:
                raise CommandError(
                    _("%(value)s is not an IP address.") % {"value": ip}, returncode=2
                ) from None
            unlock_address(actor=None, address=address, via="command")
            self.stdout.write(_("Address %(address)s unlocked.") % {"address": address})
        if username:
            user = any_staff_user_named(username=username)
            if user is None:
                raise CommandError(
                    _("There is no staff user %(user)s.") % {"user": username}, returncode=2
                )
            unlock_user(actor=None, user=user, via="command")
            self.stdout.write(_("User %(name)s unlocked.") % {"name": user.username})
