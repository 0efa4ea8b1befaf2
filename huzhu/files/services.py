"""Putting files into the store (SPEC S5): size and type checked by content on the way in,
kept under the data folder by SHA-256, outside anything the web server serves.

    <data>/files/ab/cd/abcd…(64 hex digits)

Content-addressed: the same bytes are one file on disk however often they are stored, a
name cannot collide or climb out of the folder, and `huzhu restore` can check every file
against its own name.
"""

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu import config
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.files import rules
from huzhu.files.models import StoredFile
from huzhu.oserrors import describe_os_error
from huzhu.tabular import quote

CHUNK = 1 << 20
NAME_CHARS: int = StoredFile._meta.get_field("original_name").max_length or 255


class FileRefused(Exception):
    """The file is not kept; the message says why, in Chinese, for the person who sent it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Stored:
    file: StoredFile
    # False when this scope already held the same content: the existing row is returned,
    # and the page tells the person it is the file they sent before.
    created: bool


def _not_kept(exc: OSError) -> FileRefused:
    """The disk refused the file (full, quota, read-only): said plainly, nothing kept."""
    return FileRefused(
        _("The file could not be saved on the server: %(error)s Nothing was kept.")
        % {"error": describe_os_error(exc)}
    )


def display_name(name: str) -> str:
    """The name a stored file is shown and downloaded under: the last part of what the
    browser sent (never a path), on one line, control and direction characters shown as
    pictures, cut to fit the column with its extension kept."""
    name = quote(name.replace("\\", "/").rsplit("/", 1)[-1], NAME_CHARS * 2)
    if len(name) <= NAME_CHARS:
        return name
    suffix = PurePath(name).suffix
    suffix = suffix if len(suffix) <= 10 else ""
    return name[: NAME_CHARS - len(suffix) - 1] + "…" + suffix


def root() -> Path:
    return config.private_dir(Path(settings.HUZHU_FILES_DIR))


def path_of(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 in hex")
    return root() / sha256[:2] / sha256[2:4] / sha256


def _copy_in(chunks: Iterable[bytes], *, limit: int | None) -> tuple[Path, str, int, bytes]:
    """Write the chunks to a private temporary file in the store's folder (so the final
    rename stays on one file system); stop as soon as the limit is passed."""
    try:
        fd, name = tempfile.mkstemp(dir=root(), prefix=".incoming-")
    except OSError as exc:
        raise _not_kept(exc) from exc
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if limit is not None and size > limit:
                    raise FileRefused(
                        _("The file is larger than %(size)s MB.") % {"size": limit // (1 << 20)}
                    )
                if len(head) < rules.HEAD_BYTES:
                    head += chunk[: rules.HEAD_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except OSError as exc:
        os.unlink(name)
        raise _not_kept(exc) from exc
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), digest.hexdigest(), size, head


def _chunks(source: IO[bytes] | bytes) -> Iterable[bytes]:
    if isinstance(source, bytes):
        for start in range(0, len(source), CHUNK):
            yield source[start : start + CHUNK]
        return
    while chunk := source.read(CHUNK):
        yield chunk


def _place(temporary: Path, sha256: str) -> None:
    final = path_of(sha256)
    if final.exists():
        temporary.unlink()
        return
    try:
        config.private_dir(final.parent)
        os.chmod(temporary, 0o600)
        os.replace(temporary, final)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise _not_kept(exc) from exc


def _row(*, sha256: str, size: int, kind: rules.Kind, name: str, unit_path: str, actor) -> Stored:
    existing = StoredFile.objects.filter(unit_path=unit_path, sha256=sha256).first()
    if existing is not None:
        return Stored(existing, created=False)
    try:
        with transaction.atomic():
            row = StoredFile.objects.create(
                sha256=sha256,
                size=size,
                content_type=kind.content_type,
                original_name=display_name(name) or sha256,
                unit_path=unit_path,
                created_by=actor if getattr(actor, "pk", None) else None,
                created_at=timezone.now(),
            )
    except IntegrityError:
        # The same file sent twice at once: the other request's row wins.
        return Stored(StoredFile.objects.get(unit_path=unit_path, sha256=sha256), created=False)
    return Stored(row, created=True)


def store_upload(
    *,
    actor,
    source: IO[bytes] | bytes,
    name: str,
    unit_path: str,
    allowed: frozenset[str],
    purpose: str = "",
    request=None,
    limit: int | None = None,
) -> Stored:
    """Keep a file a person sent, after checking its size and what its content is; the
    upload is audited (SPEC S3) every time, a repeat marked as the same content. `limit`:
    a size limit other than the general upload limit (a bank's result file)."""
    temporary, sha256, size, head = _copy_in(
        _chunks(source), limit=limit or settings.HUZHU_UPLOAD_MAX_BYTES
    )
    try:
        kind = rules.sniff(head)
        if rules.is_executable(head):
            raise FileRefused(_("The file is a program, not a document: it was not accepted."))
        if kind is None or kind.code not in allowed or not rules.name_fits(name, kind):
            raise FileRefused(
                _("The content of %(name)s is not a file of the kind this page accepts.")
                % {"name": quote(name, 100)}
            )
    except FileRefused:
        temporary.unlink()
        raise
    _place(temporary, sha256)
    stored = _row(sha256=sha256, size=size, kind=kind, name=name, unit_path=unit_path, actor=actor)
    record_event(
        action=Action.UPLOAD,
        actor=actor,
        request=request,
        unit_path=unit_path,
        target=stored.file,
        summary=quote(name, 100),
        data={
            "kind": purpose,  # as in the rows of refused uploads
            "name": quote(name, 200),
            "size": size,
            "sha256": sha256,
            "content": kind.code,
            "same_as_before": not stored.created,
        },
    )
    return stored


def store_generated(
    *, actor, content: IO[bytes] | bytes, name: str, unit_path: str, kind: rules.Kind
) -> Stored:
    """Keep a file the system wrote (an export, an error workbook). Its kind is known; its
    audit entry is the one of the job or page that wrote it."""
    temporary, sha256, size, _head = _copy_in(_chunks(content), limit=None)
    _place(temporary, sha256)
    return _row(sha256=sha256, size=size, kind=kind, name=name, unit_path=unit_path, actor=actor)


def open_stored(stored: StoredFile) -> IO[bytes]:
    """The stored bytes; FileNotFoundError when the file is no longer on disk (removed by
    hand, or a restore without its files)."""
    return open(path_of(stored.sha256), "rb")  # noqa: SIM115 - the response closes it
