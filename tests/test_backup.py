"""`huzhu backup` and `huzhu restore` (SPEC S6): the keys always travel with the database, an
archive is checked whole before anything live is touched, and a restored installation reads
its encrypted members back."""

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from huzhu import config
from huzhu.backups import ArchiveError, stage
from huzhu.members import crypto

ID_NUMBER = "320412198506150013"
PHONE = "13812345678"

CREATE_MEMBER = f"""
from huzhu.org.services import district, create_unit
from huzhu.org.models import UnitKind
from huzhu.members.services import MemberInput, create_member
town = create_unit(actor=None, name="湖塘镇", kind=UnitKind.ORGANIZING, parent=district())
union = create_unit(actor=None, name="湖塘镇甲公司工会", kind=UnitKind.GRASSROOTS, parent=town)
create_member(actor=None, unit=union, data=MemberInput(
    name="张三", id_number="{ID_NUMBER}", phone="{PHONE}", union_card="6231660000000000001"))
"""

READ_MEMBER = f"""
from huzhu.audit.models import AuditEvent
from huzhu.members import crypto
from huzhu.members.models import Member
member = Member.objects.get(id_number_hash=crypto.lookup_hash("id", "{ID_NUMBER}"))
print(member.name, crypto.decrypt(member.phone_encrypted))
print(AuditEvent.objects.filter(action="restore").count())
"""


def huzhu(data_dir: Path, *args: str, database_url: str = "") -> subprocess.CompletedProcess:
    """The `huzhu` command in its own process, on its own data folder (SQLite unless a
    database is given), as an operator runs it."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(data_dir.parent),
        "PYTHONPATH": os.getcwd(),
        "HUZHU_DATA_DIR": str(data_dir),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "huzhu", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def read_member(data_dir: Path, database_url: str = "") -> list[str]:
    """The member's name and clear phone, and how many restores the audit log holds."""
    shell = ("shell", "--no-imports", "-c", READ_MEMBER)
    return ok(huzhu(data_dir, *shell, database_url=database_url)).splitlines()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture(scope="module")
def sqlite_backup(tmp_path_factory):
    """A SQLite installation with one member, and its backup archive."""
    root = tmp_path_factory.mktemp("installed")
    data = root / "data"
    ok(huzhu(data, "migrate", "--no-input"))
    ok(huzhu(data, "shell", "--no-imports", "-c", CREATE_MEMBER))
    archive = root / "backup.tar.gz"
    ok(huzhu(data, "backup", "--out", str(archive)))
    return data, archive


def test_s6_backup_archive_holds_keys_database_and_manifest_owner_only(sqlite_backup):
    _, archive = sqlite_backup
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    # The bank notices' secret too: without it a restored system refuses every notice (§7a).
    keys = {"keys/secret_key", "keys/field_key", "keys/lookup_key", "keys/bank_secret"}
    assert keys | {"huzhu.sqlite3"} <= set(names)
    assert manifest["database"] == "sqlite"
    assert set(manifest["files"]) == set(names) - {"MANIFEST.json"}
    assert mode(archive) == 0o600


def test_s6_restore_into_a_fresh_folder_reads_an_encrypted_member_back(sqlite_backup, tmp_path):
    _, archive = sqlite_backup
    fresh = tmp_path / "fresh"
    out = ok(huzhu(fresh, "restore", str(archive)))
    assert "密钥能解开备份数据库中的职工信息" in out
    name_and_phone, restores = read_member(fresh)
    assert name_and_phone == f"张三 {PHONE}"
    assert restores == "1"  # audited in the restored database
    assert mode(fresh) == 0o700
    assert mode(fresh / "huzhu.sqlite3") == 0o600
    assert mode(fresh / "keys") == 0o700
    assert mode(fresh / "keys" / "field_key") == 0o600


def test_s6_restore_refuses_an_installation_in_use_unless_forced(sqlite_backup, tmp_path):
    data, archive = sqlite_backup
    other = tmp_path / "other"
    ok(huzhu(other, "migrate", "--no-input"))
    own_key = (other / "keys" / "field_key").read_text()
    refused = huzhu(other, "restore", str(archive))
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert (other / "keys" / "field_key").read_text() == own_key  # nothing touched

    ok(huzhu(other, "restore", "--force", str(archive)))
    assert (other / "keys" / "field_key").read_text() == (data / "keys" / "field_key").read_text()
    kept = sorted(p.name for p in other.iterdir() if ".replaced-" in p.name)
    assert [n.split(".replaced-")[0] for n in kept] == ["huzhu.sqlite3", "keys"]
    assert any((other / n / "field_key").read_text() == own_key for n in kept if "keys" in n)
    assert read_member(other)[0] == f"张三 {PHONE}"


def test_s6_restore_check_only_reads_the_archive(sqlite_backup, tmp_path):
    _, archive = sqlite_backup
    fresh = tmp_path / "checked"
    out = ok(huzhu(fresh, "restore", "--check", str(archive)))
    assert "5 个文件" in out  # four keys (the bank notices' secret too) and the database
    assert (fresh / "huzhu.sqlite3").stat().st_size == 0  # still the empty database


# Hostile and broken archives, checked without touching any live data.


def write_archive(path: Path, entries: dict[str, bytes], manifest: dict | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        if manifest is not None:
            data = json.dumps(manifest).encode()
            info = tarfile.TarInfo("MANIFEST.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def keys(field_key: str | None = None) -> dict[str, bytes]:
    return {
        "keys/field_key": (field_key or Fernet.generate_key().decode()).encode(),
        "keys/lookup_key": b"a-lookup-key",
    }


def huzhu_database(
    path: Path, *, field_key: str, lookup_key: str = "a-lookup-key", aes_key: str | None = None
) -> bytes:
    """The tables a restore looks at, with one member Fernet-encrypted under `field_key`
    (written before AES-GCM) and, given `aes_key`, one AES-GCM-encrypted under it."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY);"
        "CREATE TABLE audit_auditevent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE members_member (id_number_encrypted TEXT, id_number_hash TEXT);"
    )
    tokens = [Fernet(field_key.encode()).encrypt(ID_NUMBER.encode()).decode()]
    if aes_key:
        tokens.append(crypto.key_ring(aes_key).encrypt(ID_NUMBER))
    for token in tokens:
        db.execute(
            "INSERT INTO members_member VALUES (?, ?)",
            (token, crypto.lookup_hash("id", ID_NUMBER, key=lookup_key)),
        )
    db.commit()
    db.close()
    return path.read_bytes()


def refusal(archive: Path, tmp_path: Path) -> str:
    into = tmp_path / "staging"
    into.mkdir()
    with pytest.raises(ArchiveError) as refused:
        stage(archive, into)
    return str(refused.value)


def test_restore_refuses_a_path_that_climbs_out_of_the_data_folder(tmp_path):
    archive = write_archive(tmp_path / "a.tar.gz", {**keys(), "../../etc/cron.d/x": b"evil"})
    assert "../../etc/cron.d/x" in refusal(archive, tmp_path)
    assert not (tmp_path.parent.parent / "etc").exists()


def test_restore_refuses_an_absolute_path(tmp_path):
    archive = write_archive(tmp_path / "a.tar.gz", {**keys(), "/tmp/huzhu-evil": b"evil"})
    assert "/tmp/huzhu-evil" in refusal(archive, tmp_path)
    assert not Path("/tmp/huzhu-evil").exists()


def test_restore_refuses_a_link_in_the_archive(tmp_path):
    path = tmp_path / "a.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, content in keys().items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        link = tarfile.TarInfo("uploads/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    assert "uploads/passwd" in refusal(path, tmp_path)


def test_restore_refuses_an_archive_without_the_field_key(tmp_path):
    archive = write_archive(tmp_path / "a.tar.gz", {"keys/lookup_key": b"k"})
    assert "keys/field_key" in refusal(archive, tmp_path)


def test_restore_refuses_a_file_that_does_not_match_the_manifest(tmp_path):
    entries = keys()
    manifest = {"format": 1, "files": {name: "0" * 64 for name in entries}}
    archive = write_archive(tmp_path / "a.tar.gz", entries, manifest)
    assert "keys/field_key" in refusal(archive, tmp_path)


@pytest.mark.parametrize("manifest", [[], {"format": 1, "files": []}, {"format": 99, "files": {}}])
def test_restore_refuses_a_manifest_it_cannot_read(tmp_path, manifest):
    archive = write_archive(tmp_path / "a.tar.gz", keys(), manifest)
    assert "清单" in refusal(archive, tmp_path)


def test_restore_refuses_keys_of_another_installation(tmp_path):
    database = huzhu_database(tmp_path / "db", field_key=Fernet.generate_key().decode())
    archive = write_archive(tmp_path / "a.tar.gz", {**keys(), "huzhu.sqlite3": database})
    assert "密钥属于另一套系统" in refusal(archive, tmp_path)


def test_restore_accepts_matching_keys_and_database(tmp_path):
    field_key = Fernet.generate_key().decode()
    database = huzhu_database(tmp_path / "db", field_key=field_key)
    archive = write_archive(tmp_path / "a.tar.gz", {**keys(field_key), "huzhu.sqlite3": database})
    into = tmp_path / "staging"
    into.mkdir()
    staged = stage(archive, into)
    assert staged.database == "sqlite" and staged.keys_checked


def test_s2_restore_checks_the_keys_on_both_ciphertext_formats(tmp_path):
    field_key = Fernet.generate_key().decode()
    database = huzhu_database(tmp_path / "db", field_key=field_key, aes_key=field_key)
    archive = write_archive(tmp_path / "a.tar.gz", {**keys(field_key), "huzhu.sqlite3": database})
    into = tmp_path / "checked"
    into.mkdir()
    assert stage(archive, into).keys_checked
    # The Fernet member opens, the AES-GCM one was written with a key the archive lacks.
    other = Fernet.generate_key().decode()
    database = huzhu_database(tmp_path / "db2", field_key=field_key, aes_key=other)
    archive = write_archive(tmp_path / "b.tar.gz", {**keys(field_key), "huzhu.sqlite3": database})
    assert "密钥属于另一套系统" in refusal(archive, tmp_path)


def test_s2_restore_check_command_with_both_formats(tmp_path):
    field_key = Fernet.generate_key().decode()
    database = huzhu_database(tmp_path / "db", field_key=field_key, aes_key=field_key)
    archive = write_archive(tmp_path / "a.tar.gz", {**keys(field_key), "huzhu.sqlite3": database})
    out = ok(huzhu(tmp_path / "checked", "restore", "--check", str(archive)))
    assert "密钥能解开备份数据库中的职工信息" in out
    other = Fernet.generate_key().decode()
    database = huzhu_database(tmp_path / "db2", field_key=field_key, aes_key=other)
    archive = write_archive(tmp_path / "b.tar.gz", {**keys(field_key), "huzhu.sqlite3": database})
    refused = huzhu(tmp_path / "refused", "restore", "--check", str(archive))
    assert refused.returncode == 2 and "密钥属于另一套系统" in refused.stdout + refused.stderr


def test_s2_restore_opens_members_of_a_retired_field_key(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    database = huzhu_database(tmp_path / "db", field_key=old, aes_key=old)
    retired = {"keys/retired_field_keys": f"{old}\n".encode()}
    entries = {**keys(new), **retired, "huzhu.sqlite3": database}
    archive = write_archive(tmp_path / "a.tar.gz", entries)
    into = tmp_path / "checked"
    into.mkdir()
    staged = stage(archive, into)
    assert staged.keys_checked and "keys/retired_field_keys" in staged.files
    without = write_archive(tmp_path / "b.tar.gz", {**keys(new), "huzhu.sqlite3": database})
    assert "密钥属于另一套系统" in refusal(without, tmp_path)


# The backup copies the database from its own connection, outside any transaction: on SQLite a
# transaction begins by taking the write lock (settings), and the online copy of a database
# its own connection is writing waits for ever. Hence transaction=True here.
@pytest.mark.django_db(transaction=True)
def test_s2_backup_holds_the_retired_field_keys_when_there_are_some(tmp_path, settings):
    settings.KEYS_DIR = tmp_path / "keys"
    settings.KEYS_DIR.mkdir()
    for name in config.KEY_NAMES:
        (settings.KEYS_DIR / name).write_text(f"{name}-value\n")
    (settings.KEYS_DIR / config.RETIRED_FIELD_KEYS).write_text("an-old-key\n")
    archive = tmp_path / "b.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        kept = tar.extractfile("keys/retired_field_keys")
        assert kept is not None and kept.read() == b"an-old-key\n"


def test_restore_refuses_a_database_that_is_not_huzhus(tmp_path):
    archive = write_archive(
        tmp_path / "a.tar.gz", {**keys(), "huzhu.sqlite3": b"SQLite format 3\x00" + b"x" * 200}
    )
    assert "不是本系统的数据库" in refusal(archive, tmp_path)


def test_restore_refuses_a_truncated_archive(tmp_path):
    whole = write_archive(tmp_path / "a.tar.gz", {**keys(), "uploads/p.jpg": os.urandom(50_000)})
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[:20_000])
    assert "cut.tar.gz" in refusal(cut, tmp_path)


@pytest.mark.django_db
def test_restore_command_exits_2_on_a_bad_archive_and_changes_nothing(tmp_path):
    before = (settings.KEYS_DIR / "field_key").read_text()
    archive = write_archive(tmp_path / "a.tar.gz", {**keys(), "../x": b"x"})
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert (settings.KEYS_DIR / "field_key").read_text() == before
    assert not [p for p in settings.DATA_DIR.iterdir() if p.name.startswith(".restore-")]


# PostgreSQL: pg_dump into the archive, pg_restore into an empty database.


@pytest.mark.django_db(transaction=True)
def test_s6_postgresql_backup_restores_into_an_empty_database(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore: the PostgreSQL run covers this")
    from tests.conftest import Tree, add_member

    member = add_member(Tree().hutang_union, name="张三", phone=PHONE, id_number=ID_NUMBER)
    assert member.pk
    archive = tmp_path / "pg.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        assert "huzhu.pgdump" in tar.getnames()

    scratch = f"huzhu_restore_{uuid.uuid4().hex[:10]}"
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{scratch}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    try:
        fresh = tmp_path / "fresh"
        ok(huzhu(fresh, "restore", str(archive), database_url=url))
        assert read_member(fresh, database_url=url) == [f"张三 {PHONE}", "1"]
        # A second restore over it is refused: the database holds tables now.
        assert huzhu(fresh, "restore", str(archive), database_url=url).returncode == 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_s6_backup_holds_only_the_key_files_and_is_audited(tmp_path):
    from huzhu.audit.models import AuditEvent

    # The lock of a secret-key upgrade is not a key (huzhu/config.py).
    (settings.KEYS_DIR / ".lock").touch()
    archive = tmp_path / "b.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        key_files = sorted(n for n in tar.getnames() if n.startswith("keys/"))
    present = [n for n in config.ARCHIVED_KEY_NAMES if (settings.KEYS_DIR / n).is_file()]
    assert set(config.KEY_NAMES) <= set(present)
    assert key_files == sorted(f"keys/{name}" for name in present)
    assert AuditEvent.objects.filter(action="backup", summary=str(archive)).exists()


WRITE_AND_DIE = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA wal_autocheckpoint=0")
db.execute("CREATE TABLE written_last (note TEXT)")
db.execute("INSERT INTO written_last VALUES ('only in the log')")
db.commit()
os._exit(0)  # no close: the transaction stays in the write-ahead log, not in the file
"""


def test_s6_the_database_kept_aside_by_a_forced_restore_is_whole_on_its_own(
    sqlite_backup, tmp_path
):
    _, archive = sqlite_backup
    other = tmp_path / "other"
    ok(huzhu(other, "migrate", "--no-input"))
    live = other / "huzhu.sqlite3"
    subprocess.run([sys.executable, "-c", WRITE_AND_DIE, str(live)], check=True, timeout=60)
    assert (other / "huzhu.sqlite3-wal").stat().st_size > 0

    ok(huzhu(other, "restore", "--force", str(archive)))
    (aside,) = other.glob("huzhu.sqlite3.replaced-*")
    alone = tmp_path / "alone.sqlite3"
    alone.write_bytes(aside.read_bytes())  # the file by itself, without any log beside it
    with contextlib.closing(sqlite3.connect(alone)) as db:
        assert db.execute("SELECT note FROM written_last").fetchall() == [("only in the log",)]
    assert read_member(other)[0] == f"张三 {PHONE}"
