"""huzhu backup --out FILE.tar.gz: the keys folder, the uploads and (on SQLite) a consistent
copy of the database, in one archive. Without the keys the encrypted ID and phone numbers in
any database backup are unreadable, so they are always included (SPEC S6)."""

import sqlite3
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event


class Command(BaseCommand):
    help = "Write the keys, uploads and (on SQLite) the database into one .tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="archive path (default: huzhu-backup-<time>.tar.gz)")

    def handle(self, *args, out=None, **options):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        target = Path(out or f"huzhu-backup-{stamp}.tar.gz")
        with tempfile.TemporaryDirectory() as scratch, tarfile.open(target, "w:gz") as archive:
            archive.add(settings.KEYS_DIR, arcname="keys")
            if Path(settings.MEDIA_ROOT).exists():
                archive.add(settings.MEDIA_ROOT, arcname="uploads")
            if connection.vendor == "sqlite":
                copy = Path(scratch) / "huzhu.sqlite3"
                # sqlite3's online backup: a consistent copy even while the site is running.
                connection.ensure_connection()
                with sqlite3.connect(copy) as dest:
                    connection.connection.backup(dest)
                archive.add(copy, arcname="huzhu.sqlite3")
            else:
                self.stdout.write(
                    _(
                        "The database is PostgreSQL: back it up with pg_dump; "
                        "this archive holds the keys and uploads."
                    )
                )
        target.chmod(0o600)
        record_event(action=Action.BACKUP, summary=str(target))
        self.stdout.write(
            _(
                "Backup written to %(path)s. Keep it apart from the server: it "
                "holds the encryption keys."
            )
            % {"path": target}
        )
