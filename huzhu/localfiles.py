"""Files the command line reads and writes on the operator's machine.

Input: only a regular file within the size limit is read — a FIFO would block for ever and
/dev/zero never ends while its size says 0. Output: files holding members' numbers are
created owner-only from the first byte (SPEC S2), like backups."""

import dataclasses
import os
import stat
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from huzhu.oserrors import describe_os_error
from huzhu.tabular import LIMITS, Limits, too_large


class LocalFileError(Exception):
    """The file cannot be read or written; the message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _unreadable(path: Path, reason: str) -> LocalFileError:
    return LocalFileError(
        _("Cannot read the file %(path)s: %(error)s") % {"path": path, "error": reason}
    )


def read_input_file(path: Path, limits: Limits = LIMITS) -> bytes:
    """The bytes of a regular file within the size limit of `limits` (by default the
    upload limit of huzhu.tabular.LIMITS)."""
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _unreadable(path, describe_os_error(exc)) from exc
    try:
        info = os.fstat(handle)
        if stat.S_ISDIR(info.st_mode):
            raise _unreadable(path, _("It is a folder, not a file."))
        if not stat.S_ISREG(info.st_mode):
            raise LocalFileError(
                _("%(path)s is not a regular file (a device, a pipe or a socket).") % {"path": path}
            )
        error = too_large(info.st_size, limits)
        if error:
            raise LocalFileError(str(error))
        with os.fdopen(handle, "rb", closefd=False) as stream:
            content = stream.read(limits.file_bytes + 1)
    except OSError as exc:
        raise _unreadable(path, describe_os_error(exc)) from exc
    finally:
        os.close(handle)
    # A file that grew while it was read.
    error = too_large(len(content), limits)
    if error:
        raise LocalFileError(str(error))
    return content


def read_bank_file(path: Path) -> bytes:
    """A bank's result file given on the command line, held to the bank file size limit
    (HUZHU_BANK_FILE_MAX_BYTES, as for one uploaded in the console)."""
    return read_input_file(
        path, dataclasses.replace(LIMITS, file_bytes=settings.HUZHU_BANK_FILE_MAX_BYTES)
    )


def write_private(path: Path, content: bytes) -> None:
    """Write `content` to `path`, readable and writable by the owner only; an existing file
    is replaced and narrowed to the owner too."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "wb", closefd=False) as stream:
                stream.write(content)
        finally:
            os.close(handle)
    except OSError as exc:
        raise LocalFileError(
            _("Cannot write the file %(path)s: %(error)s")
            % {"path": path, "error": describe_os_error(exc)}
        ) from exc
