"""`huzhu backup` holds the file store and `huzhu restore` puts it back (SPEC S5, S6); a
stored file altered in an archive is refused even when the manifest was rewritten."""

import hashlib
import io
import tarfile

import pytest

from huzhu.backups import ArchiveError, live_data_in_use, stage
from tests.test_backup import huzhu, keys, ok, write_archive

CONTENT = "姓名,身份证号\n张三,320412198506150013\n".encode()
DIGEST = hashlib.sha256(CONTENT).hexdigest()
STORE_NAME = f"files/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}"

STORE_FILE = f"""
import io
from huzhu.files.services import store_upload
from huzhu.files import rules
store_upload(actor=None, source=io.BytesIO({CONTENT!r}), name="名单.csv", unit_path="/1/",
             allowed=rules.WORKBOOKS)
"""

READ_FILE = """
from huzhu.files.models import StoredFile
from huzhu.files.services import path_of
row = StoredFile.objects.get()
print(row.original_name, path_of(row.sha256).read_bytes().decode())
"""


def test_s5_backup_holds_the_stored_files_and_restore_restores_them(tmp_path):
    data = tmp_path / "data"
    ok(huzhu(data, "migrate", "--no-input"))
    ok(huzhu(data, "shell", "--no-imports", "-c", STORE_FILE))
    archive = tmp_path / "backup.tar.gz"
    ok(huzhu(data, "backup", "--out", str(archive)))
    with tarfile.open(archive) as tar:
        assert tar.extractfile(STORE_NAME).read() == CONTENT

    fresh = tmp_path / "fresh"
    ok(huzhu(fresh, "restore", str(archive)))
    assert (fresh / STORE_NAME).read_bytes() == CONTENT
    assert (fresh / STORE_NAME).stat().st_mode & 0o777 == 0o600
    shown = ok(huzhu(fresh, "shell", "--no-imports", "-c", READ_FILE))
    assert shown == f"名单.csv {CONTENT.decode()}\n"


def test_restore_refuses_a_stored_file_whose_content_is_not_its_name(tmp_path):
    altered = b"altered"
    entries = {**keys(), STORE_NAME: altered}
    manifest = {
        "format": 1,
        "files": {name: hashlib.sha256(body).hexdigest() for name, body in entries.items()},
    }
    archive = write_archive(tmp_path / "a.tar.gz", entries, manifest)
    into = tmp_path / "staging"
    into.mkdir()
    with pytest.raises(ArchiveError) as refused:
        stage(archive, into)
    assert STORE_NAME in str(refused.value)


def test_restore_refuses_a_name_the_store_never_gives(tmp_path):
    archive = write_archive(tmp_path / "a.tar.gz", {**keys(), "files/notes.txt": b"x"})
    into = tmp_path / "staging"
    into.mkdir()
    with pytest.raises(ArchiveError) as refused:
        stage(archive, into)
    assert "files/notes.txt" in str(refused.value)


def test_restore_counts_stored_files_as_data_in_use(settings, tmp_path, db):
    settings.HUZHU_FILES_DIR = tmp_path / "files"
    (tmp_path / "files" / "ab" / "cd").mkdir(parents=True)
    assert not any("文件存储" in line for line in live_data_in_use())
    (tmp_path / "files" / "ab" / "cd" / ("abcd" + "0" * 60)).write_bytes(b"x")
    assert any(str(tmp_path / "files") in line for line in live_data_in_use())


@pytest.mark.parametrize(
    "name",
    [
        f"files/{DIGEST[:2]}/{DIGEST[2:4]}/../../../keys/field_key",
        f"files/../{DIGEST}",
        f"/files/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}",
        f"files/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST.upper()}",
        f"files/{DIGEST[2:4]}/{DIGEST[:2]}/{DIGEST}",  # folders not the name's prefixes
        f"files/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}/x",
    ],
)
def test_restore_refuses_a_climbing_or_misplaced_store_path(tmp_path, name):
    archive = write_archive(tmp_path / "a.tar.gz", {**keys(), name: CONTENT})
    into = tmp_path / "staging"
    into.mkdir()
    with pytest.raises(ArchiveError):
        stage(archive, into)
    assert not (tmp_path / "keys").exists()
    assert [p for p in into.rglob("*") if p.is_file() and p.parent.name != "keys"] == []


@pytest.mark.parametrize("link", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_restore_refuses_a_link_in_the_store(tmp_path, link):
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for entry, body in keys().items():
            info = tarfile.TarInfo(entry)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        info = tarfile.TarInfo(STORE_NAME)
        info.type = link
        info.linkname = "/etc/passwd" if link == tarfile.SYMTYPE else "keys/field_key"
        tar.addfile(info)
    into = tmp_path / "staging"
    into.mkdir()
    with pytest.raises(ArchiveError) as refused:
        stage(archive, into)
    assert STORE_NAME in str(refused.value)
    assert not (into / STORE_NAME).exists()
