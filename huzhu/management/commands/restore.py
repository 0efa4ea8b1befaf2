"""huzhu restore ARCHIVE [--force] [--check]: put back what `huzhu backup` wrote.

The archive is unpacked beside the data folder and checked whole before anything live is
touched (huzhu/backups.py). A data folder already in use is replaced only with --force, and
then its keys, uploads and database are kept aside, renamed, not deleted. The restore is
written to the audit log of the restored database.
"""

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.backups import (
    ArchiveError,
    BackupError,
    check_live_keys,
    install,
    live_data_in_use,
    restore_postgresql,
    stage,
)

# Set in the environment, these win over the restored key files (huzhu/settings.py).
KEY_VARIABLES = ("SECRET_KEY", "HUZHU_FIELD_KEY", "HUZHU_RETIRED_FIELD_KEYS", "HUZHU_LOOKUP_KEY")


class Command(BaseCommand):
    help = "Restore the keys, uploads and database from an archive written by `huzhu backup`."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="a .tar.gz written by `huzhu backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a data folder already in use (its files are kept aside, renamed)",
        )
        parser.add_argument(
            "--check", action="store_true", help="only check the archive; change nothing"
        )

    def handle(self, *args, archive, force=False, check=False, **options):
        scratch = Path(tempfile.mkdtemp(prefix=".restore-", dir=settings.DATA_DIR))
        try:
            self._restore(Path(archive), scratch, force=force, check=check)
        except ArchiveError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _restore(self, archive: Path, scratch: Path, *, force: bool, check: bool) -> None:
        staged = stage(archive, scratch)
        if staged.database:
            self.stdout.write(
                _("The archive is complete (%(count)d files) and holds a %(database)s database.")
                % {"count": len(staged.files), "database": staged.database}
            )
        else:
            self.stdout.write(
                _("The archive is complete (%(count)d files) and holds no database.")
                % {"count": len(staged.files)}
            )
        if staged.keys_checked:
            self.stdout.write(_("The keys open the members in the archived database."))
        if check:
            return
        if staged.database and staged.database != connection.vendor:
            raise ArchiveError(
                _(
                    "The archive holds a %(archived)s database but this installation uses "
                    "%(configured)s (DATABASE_URL). Nothing was restored."
                )
                % {"archived": staged.database, "configured": connection.vendor}
            )
        in_use = live_data_in_use()
        if in_use and not force:
            raise ArchiveError(
                " ".join(in_use)
                + " "
                + _(
                    "Nothing was restored. Restore into an empty data folder and database, "
                    "or add --force to replace them (the current files are kept aside, "
                    "renamed)."
                )
            )
        if staged.database == "postgresql":
            restore_postgresql(staged, clean=bool(in_use))
        kept = install(staged, keep_aside=bool(in_use))
        if staged.database == "postgresql":
            check_live_keys()
        record_event(
            action=Action.RESTORE,
            summary=str(archive),
            data={"database": staged.database, "files": len(staged.files), "forced": force},
        )
        for path in kept:
            self.stdout.write(_("Kept aside: %(path)s") % {"path": path})
        if staged.database is None:
            self.stdout.write(
                _(
                    "The archive holds no database: restore it with pg_restore from its own "
                    "dump, made at the same time as this archive."
                )
            )
        overridden = [name for name in KEY_VARIABLES if os.environ.get(name)]
        if overridden:
            self.stdout.write(
                _(
                    "Warning: %(names)s set in the environment win over the restored key "
                    "files; remove them or set them to the restored values."
                )
                % {"names": ", ".join(overridden)}
            )
        self.stdout.write(
            _(
                "Restored from %(path)s into %(folder)s. Run `huzhu migrate`, then start "
                "the service."
            )
            % {"path": archive, "folder": settings.DATA_DIR}
        )
