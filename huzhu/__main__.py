"""The `huzhu` command: Django's management entry point with the project's own verbs."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huzhu.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    try:
        execute_from_command_line(["huzhu", *args])
    except OSError as exc:
        # A file a command reads or writes that the command itself did not expect to fail:
        # one line in Chinese, not a traceback (huzhu/oserrors.py), unless asked for one.
        if "--traceback" in args:
            raise
        from huzhu.oserrors import os_error_line, returncode

        sys.stderr.write(f"{os_error_line(exc)}\n")
        sys.exit(returncode(exc))


if __name__ == "__main__":
    main()
