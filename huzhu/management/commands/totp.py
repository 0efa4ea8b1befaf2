"""huzhu totp USERNAME: the current second-factor code of a user's authenticator.

For operators setting up or demonstrating the console; whoever can run this command on the
server holds the keys anyway.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


class Command(BaseCommand):
    help = "Print the current TOTP code of a staff user's confirmed device."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(
                _("%(user)s has no confirmed authenticator.") % {"user": username}, returncode=2
            )
        self.stdout.write(current_code(device))
