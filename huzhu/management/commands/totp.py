"""huzhu totp USERNAME [--enrol]: a staff user's second factor, for operators.

Without options: the current code of the user's authenticator (demonstrations, or checking
a phone's clock). With --enrol: a new one-time enrolment code, for the first district admin
(nobody else can hand one over) or a district admin who lost the phone; the old
authenticator stops working. Whoever can run this command on the server holds the keys
anyway; each enrolment code issued is written to the audit log.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts.roles import needs_second_factor
from huzhu.accounts.selectors import any_staff_user_named, confirmed_device
from huzhu.accounts.services import reset_second_factor


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


class Command(BaseCommand):
    help = "Print a staff user's current TOTP code, or issue a new enrolment code (--enrol)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--enrol",
            action="store_true",
            help="issue a one-time code to enrol a new authenticator (the old one stops working)",
        )

    def handle(self, *args, username, enrol=False, **options):
        user = any_staff_user_named(username=username)
        if user is None:
            raise CommandError(
                _("There is no staff user %(user)s.") % {"user": username}, returncode=2
            )
        if enrol:
            if not needs_second_factor(user.role):
                raise CommandError(_("This role signs in without a second factor."), returncode=2)
            issued = reset_second_factor(actor=None, user=user, via="command")
            self.stdout.write(issued.code)
            self.stderr.write(
                _("Enrolment code for %(user)s, valid once until %(until)s.")
                % {
                    "user": user.username,
                    "until": f"{timezone.localtime(issued.expires_at):%Y-%m-%d %H:%M}",
                }
            )
            return
        device = confirmed_device(user=user)
        if device is None:
            raise CommandError(
                _(
                    "%(user)s has no confirmed authenticator. "
                    "To let them enrol one: huzhu totp %(user)s --enrol"
                )
                % {"user": username},
                returncode=2,
            )
        self.stdout.write(current_code(device))
