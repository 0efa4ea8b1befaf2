"""SPEC S6: with nothing set, keys are generated once, owner-only, into the data folder;
the data folder, the SQLite file and the uploads are the owner's alone whatever the umask."""

import os
import sqlite3
import stat
import subprocess
import sys
from contextlib import contextmanager

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from huzhu import config


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextmanager
def umask(value: int):
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def test_s6_key_is_created_once_with_owner_only_permissions(tmp_path):
    first = config.read_or_create_key(tmp_path / "keys", "secret_key")
    second = config.read_or_create_key(tmp_path / "keys", "secret_key")
    assert first == second
    assert mode(tmp_path / "keys" / "secret_key") == 0o600
    assert mode(tmp_path / "keys") == 0o700


def test_s6_a_generated_secret_key_is_long_enough_for_the_deploy_check(tmp_path):
    # Django's security.W009 asks for at least 50 characters.
    assert len(config.read_or_create_key(tmp_path / "keys", "secret_key")) >= 50


def test_s6_a_short_secret_key_from_an_older_install_is_replaced_once(tmp_path, capsys):
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    old = "A" * 20 + "b" * 24  # 44 characters, as older installs generated
    (keys / "secret_key").write_text(old + "\n")
    new = config.read_or_create_key(keys, "secret_key")
    assert new != old and len(new) >= 50
    assert (keys / "secret_key").read_text().strip() == new
    assert mode(keys / "secret_key") == 0o600
    assert config.read_or_create_key(keys, "secret_key") == new
    assert "everyone signs in again once" in capsys.readouterr().err


def test_s6_existing_encryption_keys_are_never_replaced(tmp_path):
    # field_key and lookup_key encrypt and index stored numbers: 44 characters is their
    # shape, and replacing them would make the data unreadable.
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    for name in ("field_key", "lookup_key"):
        (keys / name).write_text(f"{name}-kept-as-it-is-000000000000000000000000\n")
    for name in ("field_key", "lookup_key"):
        value = config.read_or_create_key(keys, name)
        assert value == f"{name}-kept-as-it-is-000000000000000000000000"


def test_s6_a_new_field_key_is_a_fernet_key(tmp_path):
    from cryptography.fernet import Fernet

    Fernet(config.read_or_create_key(tmp_path / "keys", "field_key"))


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


def test_s6_data_folder_and_database_are_owner_only_under_a_permissive_umask(tmp_path):
    data = tmp_path / "data"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": os.getcwd(),
        "HUZHU_DATA_DIR": str(data),
    }
    # umask 000: everything a careless process creates would be world-writable.
    subprocess.run(
        ["sh", "-c", f"umask 000 && exec {sys.executable} -m huzhu migrate --no-input"],
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    assert mode(data) == 0o700
    assert mode(data / "huzhu.sqlite3") == 0o600
    assert mode(data / "keys") == 0o700
    assert mode(data / "uploads") == 0o700
    for name in ("secret_key", "field_key", "lookup_key"):
        assert mode(data / "keys" / name) == 0o600


def test_s6_the_sqlite_database_keeps_a_write_ahead_log(tmp_path):
    data = tmp_path / "data"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": os.getcwd(),
        "HUZHU_DATA_DIR": str(data),
    }
    subprocess.run(
        [sys.executable, "-m", "huzhu", "migrate", "--no-input"],
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    with sqlite3.connect(data / "huzhu.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_s6_an_older_install_with_open_modes_is_closed_on_start(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "huzhu.sqlite3").touch(mode=0o644)
    (data / "uploads").mkdir(mode=0o755)
    os.chmod(data, 0o755)
    os.chmod(data / "huzhu.sqlite3", 0o644)
    os.chmod(data / "uploads", 0o755)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": os.getcwd(),
        "HUZHU_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "huzhu.settings",
    }
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, check=True, timeout=60
    )
    assert mode(data) == 0o700
    assert mode(data / "huzhu.sqlite3") == 0o600
    assert mode(data / "uploads") == 0o700


@pytest.mark.django_db
def test_s5_uploaded_files_and_their_folders_are_owner_only_under_a_permissive_umask():
    with umask(0):
        name = default_storage.save("claims/2022/photo.jpg", ContentFile(b"\xff\xd8 a photo"))
    try:
        path = default_storage.path(name)
        assert mode(path) == 0o600
        assert mode(os.path.dirname(path)) == 0o700
        assert mode(os.path.dirname(os.path.dirname(path))) == 0o700
    finally:
        default_storage.delete(name)


def test_s6_the_static_folder_is_owner_only_under_a_permissive_umask(tmp_path):
    # It was made with mkdir() and the umask alone: 0777 under umask 000.
    data = tmp_path / "data"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": os.getcwd(),
        "HUZHU_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "huzhu.settings",
    }
    start = ["sh", "-c", f"umask 000 && exec {sys.executable} -c 'import django; django.setup()'"]
    subprocess.run(start, env=env, check=True, timeout=60)
    assert mode(data / "static") == 0o700
    os.chmod(data / "static", 0o777)  # as an older install left it
    subprocess.run(start, env=env, check=True, timeout=60)
    assert mode(data / "static") == 0o700


READ_THEN_WRITE = """
import threading
import django
django.setup()
from django.db import connection, connections, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (n integer)")
connections.close_all()
meet = threading.Barrier(2, timeout=2)
outcomes = []

def run():
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM probe")  # read first, as a service does
                try:
                    meet.wait()
                except threading.BrokenBarrierError:
                    pass  # the other one is waiting for this one's write lock
                cursor.execute("INSERT INTO probe VALUES (1)")
        outcomes.append("ok")
    except Exception as exc:
        outcomes.append(str(exc))
    finally:
        connections.close_all()

threads = [threading.Thread(target=run) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(sorted(outcomes))
"""


def test_s14_two_read_then_write_transactions_on_sqlite_wait_instead_of_failing(tmp_path):
    """SPEC §14 (no input gives a 500): two clicks on "refund made" or on a ledger correction
    at once, each a transaction that reads and then writes, answered 500 "database is locked"
    at once on SQLite (a deferred transaction cannot wait to upgrade its read to a write).
    Transactions now take the write lock when they begin, and the second waits."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": os.getcwd(),
        "HUZHU_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "huzhu.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", READ_THEN_WRITE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert out.strip() == "['ok', 'ok']"
