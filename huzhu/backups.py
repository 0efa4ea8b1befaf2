"""Backup archives: write one (`huzhu backup`), check and restore one (`huzhu restore`).

An archive is a .tar.gz holding

    keys/secret_key, keys/field_key, keys/lookup_key
                       (and keys/retired_field_keys, when field keys were replaced)
    uploads/...        the uploaded files
    files/ab/cd/<sha256>  the file store (huzhu.files), each file named by its SHA-256
    huzhu.sqlite3      the SQLite database (a consistent online copy), or
    huzhu.pgdump       the PostgreSQL database (pg_dump's custom format), when pg_dump is
                       installed; without it the operator dumps the database separately
    MANIFEST.json      what is inside, with the SHA-256 of every file

Without the keys the encrypted numbers in a database are unreadable (SPEC S6), so an archive
always holds them, and a restore first checks that they open the members in its database.
Archives written before the manifest existed are accepted: the other checks still apply.
"""

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu import config
from huzhu.members import crypto
from huzhu.oserrors import describe_os_error

FORMAT = 1
MANIFEST = "MANIFEST.json"
SQLITE_NAME = "huzhu.sqlite3"
PGDUMP_NAME = "huzhu.pgdump"
REQUIRED_KEYS = ("field_key", "lookup_key")
# Tables every huzhu database has had since its first migration.
SQLITE_TABLES = {"django_migrations", "audit_auditevent"}


class ArchiveError(Exception):
    """The archive cannot be restored; the message says why, for the operator."""


class BackupError(Exception):
    """A tool the backup or restore needs failed or is missing."""


@dataclass
class Staged:
    """An archive unpacked and checked in a folder beside the live data."""

    root: Path
    database: str | None  # "sqlite", "postgresql" or None (keys and uploads only)
    files: list[str] = field(default_factory=list)
    keys_checked: bool = False  # the keys opened a member of the archived database

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def stored_files(self) -> Path:
        return self.root / "files"


def _huzhu_version() -> str:
    try:
        return version("huzhu")
    except PackageNotFoundError:
        return "unknown"


def pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database: no password on a command line."""
    db = settings.DATABASES["default"]
    values = {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGDATABASE": db.get("NAME"),
        "PGSSLMODE": db.get("OPTIONS", {}).get("sslmode"),
    }
    return {**os.environ, **{name: str(value) for name, value in values.items() if value}}


def _run(command: list[str]) -> None:
    # Our own argument lists (a PostgreSQL tool and paths we made), never a shell.
    result = subprocess.run(  # noqa: S603
        command, env=pg_environment(), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": command[0], "error": result.stderr.strip()[-2000:]}
        )


class _Hashing:
    """A file object that hashes what tarfile reads from it."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.sha256.update(chunk)
        return chunk


def write_backup(target: Path) -> str | None:
    """Write the archive to `target` (owner-only from the first byte); return the kind of
    database it holds, or None when the database must be dumped separately."""
    sources: list[tuple[Path, str]] = [
        (settings.KEYS_DIR / name, f"keys/{name}")
        for name in config.ARCHIVED_KEY_NAMES
        if (settings.KEYS_DIR / name).is_file()
    ]
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir():
        sources += [
            (path, f"uploads/{path.relative_to(media).as_posix()}")
            for path in sorted(media.rglob("*"))
            if path.is_file()
        ]
    store = Path(settings.HUZHU_FILES_DIR)
    if store.is_dir():
        # Half-written files (".incoming-…") are not part of the store yet.
        sources += [
            (path, f"files/{path.relative_to(store).as_posix()}")
            for path in sorted(store.rglob("*"))
            if path.is_file() and not path.name.startswith(".")
        ]
    partial = target.with_name(target.name + ".partial")
    with tempfile.TemporaryDirectory() as scratch:
        database = None
        if connection.vendor == "sqlite":
            # Inside a transaction the connection holds the write lock (transactions begin
            # IMMEDIATE), and the online copy would wait for it for ever.
            assert not connection.in_atomic_block, "a backup runs outside any transaction"
            copy = Path(scratch) / SQLITE_NAME
            # sqlite3's online backup: a consistent copy even while the site is running.
            connection.ensure_connection()
            with sqlite3.connect(copy) as dest:
                connection.connection.backup(dest)
            dest.close()
            sources.append((copy, SQLITE_NAME))
            database = "sqlite"
        elif connection.vendor == "postgresql" and shutil.which("pg_dump"):
            dump = Path(scratch) / PGDUMP_NAME
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"])
            sources.append((dump, PGDUMP_NAME))
            database = "postgresql"
        hashes: dict[str, str] = {}
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
                for path, name in sources:
                    info = archive.gettarinfo(path, arcname=name)
                    with open(path, "rb") as handle:
                        reader = _Hashing(handle)
                        archive.addfile(info, reader)
                    hashes[name] = reader.sha256.hexdigest()
                manifest = json.dumps(
                    {
                        "format": FORMAT,
                        "created": timezone.now().isoformat(),
                        "huzhu": _huzhu_version(),
                        "database": database,
                        "files": hashes,
                    },
                    indent=1,
                ).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(manifest)
                info.mtime = int(timezone.now().timestamp())
                info.mode = 0o600
                archive.addfile(info, io.BytesIO(manifest))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return database


def _checked_name(member: tarfile.TarInfo) -> str:
    """The member's path if it is one an archive may hold; refuses anything that could land
    outside the data folder (absolute paths, `..`, links, devices)."""
    path = PurePosixPath(member.name)
    parts = path.parts
    bad = not parts or path.is_absolute() or any(p in ("", ".", "..") for p in parts)
    if not bad and (member.isfile() or member.isdir()):
        name = path.as_posix()
        if member.isfile() and name in (MANIFEST, SQLITE_NAME, PGDUMP_NAME):
            return name
        if parts[0] == "keys" and (
            (len(parts) == 1 and member.isdir())
            or (len(parts) == 2 and member.isfile() and parts[1] in config.ARCHIVED_KEY_NAMES)
        ):
            return name
        if parts[0] == "uploads":
            return name
        if parts[0] == "files" and (member.isdir() or _is_store_name(parts)):
            return name
    raise ArchiveError(
        _("%(name)s does not belong in a huzhu backup archive: nothing was restored.")
        % {"name": member.name}
    )


def _is_store_name(parts: tuple[str, ...]) -> bool:
    """files/ab/cd/abcd…: the only names the file store gives its files."""
    if len(parts) != 4:
        return False
    digest = parts[3]
    return (
        len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
        and parts[1:3] == (digest[:2], digest[2:4])
    )


def stage(archive_path: Path, into: Path) -> Staged:
    """Unpack `archive_path` into the empty folder `into` and check everything: the names,
    the manifest, the keys, the database, and that the keys open the database's members."""
    files: dict[str, str] = {}
    manifest = None
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive:
                name = _checked_name(member)
                if member.isdir():
                    config.private_dir(into / name)
                    continue
                source = archive.extractfile(member)
                assert source is not None  # a regular file, checked above
                if name == MANIFEST:
                    manifest = json.loads(source.read())
                    continue
                destination = into / name
                config.private_dir(destination.parent)
                digest = hashlib.sha256()
                fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    while chunk := source.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                files[name] = digest.hexdigest()
    except FileNotFoundError:
        raise ArchiveError(_("There is no file %(path)s.") % {"path": archive_path}) from None
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile):
        # "not a gzip file", "unexpected end of data": the library's English stays out.
        raise ArchiveError(
            _(
                "%(path)s is not a huzhu backup archive, or it is damaged: it is not a "
                "complete .tar.gz file."
            )
            % {"path": archive_path}
        ) from None
    except OSError as exc:
        raise ArchiveError(
            _("Cannot read %(path)s: %(error)s")
            % {"path": archive_path, "error": describe_os_error(exc)}
        ) from None
    except ValueError:  # the manifest is not JSON
        raise ArchiveError(_("The archive's manifest is not one this version can read.")) from None
    for name in REQUIRED_KEYS:
        if f"keys/{name}" not in files:
            raise ArchiveError(
                _(
                    "The archive holds no keys/%(name)s: without it the encrypted numbers "
                    "cannot be read. Nothing was restored."
                )
                % {"name": name}
            )
    if manifest is not None:
        _check_manifest(manifest, files)
    for name, content_hash in files.items():
        # A stored file is named by its content: one that is not was altered.
        if name.startswith("files/") and PurePosixPath(name).name != content_hash:
            raise ArchiveError(
                _(
                    "%(name)s does not match the archive's manifest: the archive is damaged "
                    "or was altered. Nothing was restored."
                )
                % {"name": name}
            )
    if SQLITE_NAME in files and PGDUMP_NAME in files:
        raise ArchiveError(_("The archive holds two databases. Nothing was restored."))
    staged = Staged(root=into, database=None, files=sorted(files))
    if SQLITE_NAME in files:
        staged.database = "sqlite"
        samples = _check_sqlite(into / SQLITE_NAME)
        for sample in samples:
            check_keys(staged.keys, *sample)
        staged.keys_checked = bool(samples)
    elif PGDUMP_NAME in files:
        staged.database = "postgresql"
        if shutil.which("pg_restore"):
            _run(["pg_restore", "--list", str(into / PGDUMP_NAME)])
    return staged


def _check_manifest(manifest: object, files: dict[str, str]) -> None:
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        listed = None
    if not isinstance(listed, dict):
        raise ArchiveError(_("The archive's manifest is not one this version can read."))
    for name in sorted(set(listed) | set(files)):
        if listed.get(name) != files.get(name):
            raise ArchiveError(
                _(
                    "%(name)s does not match the archive's manifest: the archive is damaged "
                    "or was altered. Nothing was restored."
                )
                % {"name": name}
            )


# One member per ciphertext format (AES-GCM `g1.…`, and Fernet written before it), so the
# keys are tried on both when both are present (huzhu.members.crypto).
SAMPLE_QUERIES = (
    "SELECT id_number_encrypted, id_number_hash FROM members_member "
    "WHERE id_number_encrypted LIKE 'g1.%' LIMIT 1",
    "SELECT id_number_encrypted, id_number_hash FROM members_member "
    "WHERE id_number_encrypted NOT LIKE 'g1.%' LIMIT 1",
)


def _check_sqlite(path: Path) -> list[tuple[str, str]]:
    """Check the archived database; return members' encrypted ID numbers and their lookup
    hashes to try the keys on (one per ciphertext format), none when it holds no member."""
    samples: list[tuple[str, str]] = []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            (verdict,) = db.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if verdict == "ok" and "members_member" in tables:
                for query in SAMPLE_QUERIES:
                    samples += [tuple(row) for row in db.execute(query).fetchall()]
        db.close()
    except sqlite3.DatabaseError as exc:
        verdict, tables, samples = str(exc), set(), []
    if verdict != "ok" or not SQLITE_TABLES <= tables:
        raise ArchiveError(
            _("The database in the archive is damaged or is not a huzhu database (%(detail)s).")
            % {"detail": verdict if verdict != "ok" else ", ".join(sorted(SQLITE_TABLES - tables))}
        )
    return samples


def check_keys(keys: Path, encrypted: str, lookup: str) -> None:
    """The field keys open `encrypted` and the lookup key gives `lookup` for what is inside:
    the keys and the database belong together."""
    field_key = (keys / "field_key").read_text().strip()
    lookup_key = (keys / "lookup_key").read_text().strip()
    retired = config.retired_keys(keys)
    try:
        clear = crypto.decrypt(encrypted, key=field_key, retired=retired)
    except ValueError:  # crypto.DecryptError, or a field key that is no key at all
        raise ArchiveError(
            _(
                "The field key does not open the members in the database: the keys belong to "
                "another installation."
            )
        ) from None
    if crypto.lookup_hash("id", clear, key=lookup_key) != lookup:
        raise ArchiveError(
            _(
                "The lookup key does not match the members in the database: the keys belong "
                "to another installation."
            )
        )


def live_data_in_use() -> list[str]:
    """What restoring would overwrite: a database with tables, uploaded files."""
    found = []
    if connection.introspection.table_names():
        found.append(
            _("The database %(name)s already holds tables.")
            % {"name": settings.DATABASES["default"]["NAME"]}
        )
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(p.is_file() for p in media.rglob("*")):
        found.append(_("The uploads folder %(path)s already holds files.") % {"path": media})
    store = Path(settings.HUZHU_FILES_DIR)
    if store.is_dir() and any(p.is_file() for p in store.rglob("*")):
        found.append(_("The file store %(path)s already holds files.") % {"path": store})
    return found


def install(staged: Staged, *, keep_aside: bool) -> list[Path]:
    """Put the staged keys, uploads, stored files and SQLite database in place of the live ones.

    Each is moved into place with a rename on the same file system. With `keep_aside` the
    live ones are renamed `<name>.replaced-<time>` first and listed in the answer; otherwise
    (nothing in use) they are removed: fresh keys that encrypt nothing, an empty database.
    """
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    kept: list[Path] = []

    def replace(new: Path | None, live: Path) -> None:
        if live.exists():
            if live.is_dir() and not any(live.iterdir()):
                live.rmdir()  # nothing to keep
            elif keep_aside:
                aside = live.with_name(f"{live.name}.replaced-{stamp}")
                os.replace(live, aside)
                kept.append(aside)
            elif live.is_dir():
                shutil.rmtree(live)
            else:
                live.unlink()
        if new is not None and new.exists():
            os.replace(new, live)

    connection.close()
    replace(staged.keys, settings.KEYS_DIR)
    replace(staged.uploads, Path(settings.MEDIA_ROOT))
    config.private_dir(Path(settings.MEDIA_ROOT))
    replace(staged.stored_files, Path(settings.HUZHU_FILES_DIR))
    config.private_dir(Path(settings.HUZHU_FILES_DIR))
    if staged.database == "sqlite":
        live = Path(settings.DATABASES["default"]["NAME"])
        if keep_aside and live.exists():
            # Fold the write-ahead log into the old file first, so the copy kept aside is
            # whole on its own.
            with contextlib.closing(sqlite3.connect(live)) as old:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # A journal left by the old database must never be replayed into the restored one.
        for suffix in ("-journal", "-wal", "-shm"):
            replace(None, live.with_name(live.name + suffix))
        replace(staged.root / SQLITE_NAME, live)
        config.restrict(live, 0o600)
    return kept


def restore_postgresql(staged: Staged, *, clean: bool) -> None:
    """pg_restore the staged dump into the configured database, in one transaction."""
    if not shutil.which("pg_restore"):
        raise BackupError(
            _("pg_restore is not installed: install the PostgreSQL client tools and try again.")
        )
    command = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction"]
    command += ["--exit-on-error"]
    if clean:
        command += ["--clean", "--if-exists"]
    command += [f"--dbname={settings.DATABASES['default']['NAME']}"]
    connection.close()
    _run([*command, str(staged.root / PGDUMP_NAME)])


def check_live_keys() -> bool:
    """After a restore into PostgreSQL: the restored keys open restored members (one per
    ciphertext format). False when there is no member to try them on."""
    rows = []
    with connection.cursor() as cursor:
        for query in SAMPLE_QUERIES:
            cursor.execute(query)
            rows += cursor.fetchall()
    for row in rows:
        check_keys(settings.KEYS_DIR, row[0], row[1])
    return bool(rows)
