"""SPEC S6: with nothing set, keys are generated once, owner-only, into the data folder."""

import os
import stat
import subprocess
import sys

from huzhu import config


def test_s6_key_is_created_once_with_owner_only_permissions(tmp_path):
    first = config.read_or_create_key(tmp_path / "keys", "secret_key")
    second = config.read_or_create_key(tmp_path / "keys", "secret_key")
    assert first == second and len(first) >= 43
    mode = stat.S_IMODE(os.stat(tmp_path / "keys" / "secret_key").st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "keys").st_mode) == 0o700


def test_s6_defaults_are_safe_with_nothing_set(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": os.getcwd()}
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.DATA_DIR)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "huzhu.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0] == "False"
    assert out[1] == "django.db.backends.sqlite3"
    assert out[2] == str(tmp_path / ".local" / "share" / "huzhu")
    assert (tmp_path / ".local/share/huzhu/keys/field_key").exists()
