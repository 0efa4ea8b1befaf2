"""huzhu createadmin USERNAME: the first district admin of a new installation.

`createsuperuser` makes a user with no role and no unit, who cannot open the console. This
creates the district union when the tree is empty and a district admin under it, with a
temporary password (changed at the first sign-in) and a one-time code to enrol the
authenticator; both are printed once, for the operator to hand over.
"""

import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.accounts.roles import Role
from huzhu.accounts.services import PASSWORD_ALPHABET, PASSWORD_LENGTH, create_staff_user
from huzhu.org.services import district


class Command(BaseCommand):
    help = "Create a district admin (and the district union if there is none yet)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--display-name", default="", help="the name shown in the console")

    def handle(self, *args, username, display_name, **options):
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
        try:
            with transaction.atomic():
                user, issued = create_staff_user(
                    actor=None,
                    username=username,
                    display_name=display_name,
                    role=Role.DISTRICT_ADMIN,
                    unit=district(),
                    password=password,
                )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    self.stderr.write(f"{field}: {error}")
            raise CommandError(_("No user was created."), returncode=2) from exc
        assert issued is not None  # a district admin always needs a second factor
        self.stdout.write(
            _("District admin %(user)s created under %(unit)s.")
            % {"user": user.username, "unit": user.unit}
        )
        self.stdout.write(
            _("Temporary password (changed at the first sign-in): %(password)s")
            % {"password": password}
        )
        self.stdout.write(
            _("Enrolment code for the authenticator: %(code)s (valid once until %(until)s)")
            % {
                "code": issued.code,
                "until": f"{timezone.localtime(issued.expires_at):%Y-%m-%d %H:%M}",
            }
        )
