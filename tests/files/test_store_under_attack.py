"""The file store against awkward and hostile input: names that are too long or carry
header tricks, the limit to the byte, a disk that fills up, a stored file gone from disk."""

import errno
import io
import os
import threading

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.files import rules
from huzhu.files import services as store
from huzhu.files.models import StoredFile
from huzhu.files.services import FileRefused, path_of, store_generated
from tests.conftest import sign_in
from tests.console.test_targets_page import NOTICE
from tests.files.test_store import PE, files_on_disk, upload, workbook


@pytest.fixture(autouse=True)
def own_store(settings, tmp_path):
    settings.HUZHU_FILES_DIR = tmp_path / "files"


def test_a_name_of_300_characters_is_kept_within_the_column_with_its_extension(people):
    name = "名" * 300 + ".xlsx"
    stored = upload(people.hutang_clerk, workbook(), name).file
    stored.refresh_from_db()
    assert len(stored.original_name) <= StoredFile._meta.get_field("original_name").max_length
    assert stored.original_name.endswith(".xlsx")


@pytest.mark.parametrize(
    "name",
    [
        'a"; filename=evil.exe.csv',
        "a\r\nSet-Cookie: x=1.csv",
        "名单\u202egpj.csv",
        "a\x00b.csv",
        "../../etc/passwd.csv",
    ],
)
def test_a_hostile_name_cannot_break_the_download_header(client, people, name):
    stored = upload(people.hutang_clerk, b"a,b\n1,2\n", name).file
    sign_in(client, people.hutang_clerk)
    response = client.get(reverse("console:stored_file", args=[stored.pk]))
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header.startswith("attachment")
    assert "\n" not in header and "\r" not in header and "\x00" not in header
    assert "Set-Cookie" not in response.headers
    assert "\u202e" not in stored.original_name and "/" not in stored.original_name
    assert path_of(stored.sha256).parent.parent.parent == settings.HUZHU_FILES_DIR


def test_a_file_exactly_at_the_limit_is_kept_and_one_byte_over_is_refused(people, settings):
    settings.HUZHU_UPLOAD_MAX_BYTES = 1000
    line = b"a,b\n"
    exact = line * 250
    assert upload(people.hutang_clerk, exact, "名单.csv").created
    with pytest.raises(FileRefused):
        upload(people.hutang_clerk, exact + b"1", "名单.csv")
    assert StoredFile.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "空.csv"),  # nothing at all
        (b"a,b\n1,2\n", "名单.xlsx"),  # a CSV named as a workbook
        (PE + workbook(), "名单.xlsx"),  # a program with a workbook appended
        (workbook() + PE, "名单.exe"),  # a workbook, but named as a program
    ],
)
def test_polyglots_empty_files_and_wrong_names_are_refused(people, content, name):
    with pytest.raises(FileRefused):
        upload(people.hutang_clerk, content, name)
    assert not StoredFile.objects.exists()
    assert files_on_disk() == set()


class _FullFile(io.RawIOBase):
    def __init__(self, raw):
        self.raw = raw

    def writable(self):
        return True

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        self.raw.close()
        super().close()


@pytest.fixture
def full_disk(monkeypatch):
    real = os.fdopen
    monkeypatch.setattr(store.os, "fdopen", lambda fd, mode="r": _FullFile(real(fd, mode)))


def test_a_full_disk_refuses_an_upload_in_chinese_and_leaves_nothing(people, full_disk):
    with pytest.raises(FileRefused) as refused:
        upload(people.hutang_clerk, workbook(), "名单.xlsx")
    assert "磁盘已满" in refused.value.message
    assert not StoredFile.objects.exists()
    assert files_on_disk() == set()


def test_a_full_disk_when_the_file_is_moved_into_place_leaves_nothing(people, monkeypatch):
    def replace(source, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.os, "replace", replace)
    with pytest.raises(FileRefused) as refused:
        store_generated(
            actor=people.hutang_admin,
            content=b"a,b\n",
            name="a.csv",
            unit_path=people.hutang_admin.unit.path,
            kind=rules.CSV,
        )
    assert "磁盘已满" in refused.value.message
    assert not StoredFile.objects.exists()
    assert files_on_disk() == set()


def test_a_full_disk_on_the_targets_page_is_a_message_not_a_500(client, people, full_disk):
    sign_in(client, people.district_admin)
    response = client.post(
        reverse("console:targets_import"),
        {"file": SimpleUploadedFile("附件1.csv", NOTICE)},
        follow=True,
    )
    assert response.status_code == 200
    assert "磁盘已满" in response.content.decode()
    assert not StoredFile.objects.exists()


def test_a_stored_file_gone_from_disk_is_a_clear_410_not_a_500(client, people):
    stored = upload(people.hutang_clerk, workbook(), "名单.xlsx").file
    path_of(stored.sha256).unlink()
    sign_in(client, people.hutang_clerk)
    response = client.get(reverse("console:stored_file", args=[stored.pk]))
    assert response.status_code == 410
    assert "文件已不在" in response.content.decode()
    # Nothing was handed over, so no download is on record.
    assert not AuditEvent.objects.filter(action=Action.FILE_DOWNLOAD).exists()


def test_guessing_file_ids_gives_404_alike_for_missing_and_out_of_scope(client, people):
    theirs = upload(people.niutang_admin, workbook(), "名单.xlsx").file
    sign_in(client, people.hutang_clerk)
    for pk in (theirs.pk, theirs.pk + 1000):
        assert client.get(reverse("console:stored_file", args=[pk])).status_code == 404
    # A SHA-256 is never an address: there is no URL that takes one.
    assert client.get(f"/console/files/{theirs.sha256}").status_code == 404


def test_the_same_content_placed_twice_is_one_file_and_no_leftover(people):
    """Two requests with the same bytes each write their own temporary copy, then move it
    into place: the second finds the file there and drops its copy."""
    content = workbook()
    copies = [store._copy_in(store._chunks(content), limit=None) for _ in range(2)]
    for temporary, sha256, _size, _head in copies:
        store._place(temporary, sha256)
    assert files_on_disk() == {copies[0][1]}
    assert path_of(copies[0][1]).read_bytes() == content


@pytest.mark.django_db(transaction=True)
def test_the_same_upload_sent_twice_at_once_is_one_row(people, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    content = workbook()
    # Both requests have written their copy and are about to look for an existing row.
    placed = threading.Barrier(2, timeout=30)
    real_place = store._place

    def place_then_wait(temporary, sha256):
        real_place(temporary, sha256)
        placed.wait()

    monkeypatch.setattr(store, "_place", place_then_wait)
    outcomes = []
    lock = threading.Lock()

    def send():
        try:
            stored = upload(people.hutang_clerk, content, "名单.xlsx")
        finally:
            connections.close_all()
        with lock:
            outcomes.append((stored.file.pk, stored.created))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    row = StoredFile.objects.get()
    assert sorted(outcomes) == [(row.pk, False), (row.pk, True)]
    assert len(files_on_disk()) == 1
