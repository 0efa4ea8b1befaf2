"""huzhu backup --out FILE.tar.gz: the keys folder, the uploads and the database in one
archive (huzhu/backups.py). Without the keys the encrypted ID and phone numbers in any
database backup are unreadable, so they are always included (SPEC S6)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.backups import BackupError, write_backup
from huzhu.oserrors import describe_os_error, returncode


class Command(BaseCommand):
    help = "Write the keys, uploads and the database into one .tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="archive path (default: huzhu-backup-<time>.tar.gz)")

    def handle(self, *args, out=None, **options):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        target = Path(out or f"huzhu-backup-{stamp}.tar.gz")
        if target.is_dir():
            raise CommandError(
                _("%(path)s is a folder: name the archive file, e.g. %(example)s.")
                % {"path": target, "example": target / f"huzhu-backup-{stamp}.tar.gz"},
                returncode=2,
            )
        if not target.parent.is_dir():
            raise CommandError(
                _("The folder %(path)s does not exist.") % {"path": target.parent}, returncode=2
            )
        try:
            database = write_backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(
                _("The backup could not be written to %(path)s: %(error)s")
                % {"path": target, "error": describe_os_error(exc)},
                returncode=returncode(exc),
            ) from None
        if database is None and connection.vendor == "postgresql":
            self.stdout.write(
                _(
                    "The database is PostgreSQL: back it up with pg_dump; "
                    "this archive holds the keys and uploads."
                )
            )
        record_event(action=Action.BACKUP, summary=str(target), data={"database": database})
        self.stdout.write(
            _(
                "Backup written to %(path)s. Keep it apart from the server: it "
                "holds the encryption keys."
            )
            % {"path": target}
        )
