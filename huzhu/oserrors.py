"""What the operating system said about a file, in Chinese, for every `huzhu` command.

`exc.strerror` is the C library's English ("No such file or directory", "Is a directory");
an operator reads Chinese. One sentence per common errno, the errno's name for the rest.
"""

import errno

from django.utils.translation import gettext as _

# Errors that mean the command was given a path it cannot use: bad input, exit status 2.
# The others (a full disk, a failing device) are the machine's: exit status 1.
BAD_INPUT = {
    errno.ENOENT,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.EACCES,
    errno.EPERM,
    errno.EEXIST,
    errno.ENAMETOOLONG,
    errno.ELOOP,
    errno.EROFS,
}


def describe_os_error(exc: OSError) -> str:
    """One Chinese sentence for `exc`, without the path (the caller's message names it)."""
    code = exc.errno
    if code == errno.ENOENT:
        return _("The file or folder does not exist.")
    if code == errno.EISDIR:
        return _("It is a folder, not a file.")
    if code == errno.ENOTDIR:
        return _("A part of the path is not a folder.")
    if code in (errno.EACCES, errno.EPERM):
        return _("Permission denied: the user running huzhu may not open it.")
    if code == errno.EEXIST:
        return _("It already exists.")
    if code == errno.ENOSPC:
        return _("The disk is full.")
    if code == errno.EDQUOT:
        return _("The disk quota is used up.")
    if code == errno.EROFS:
        return _("The file system is read-only.")
    if code == errno.ENAMETOOLONG:
        return _("The name is too long.")
    if code == errno.ELOOP:
        return _("The path has too many symbolic links.")
    if code == errno.EIO:
        return _("The disk could not be read or written.")
    name = errno.errorcode.get(code, str(code)) if code is not None else type(exc).__name__
    return _("The operating system refused it (%(code)s).") % {"code": name}


def returncode(exc: OSError) -> int:
    return 2 if exc.errno in BAD_INPUT else 1


def os_error_line(exc: OSError) -> str:
    """For an error no command caught: the path the system named, and what it said."""
    if exc.filename is None:
        return describe_os_error(exc)
    return _("%(path)s: %(error)s") % {"path": exc.filename, "error": describe_os_error(exc)}
