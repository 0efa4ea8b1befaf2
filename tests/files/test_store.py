"""The file store (SPEC S5): type and size checked by content on the way in, kept by
SHA-256 outside the web root, served only to those whose scope holds the owning unit."""

import hashlib
import io

import pytest
from django.conf import settings
from django.urls import reverse

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.files import rules
from huzhu.files.models import StoredFile
from huzhu.files.services import FileRefused, path_of, store_upload
from huzhu.xlsx import XlsxBook
from tests.conftest import sign_in

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120


@pytest.fixture(autouse=True)
def own_store(settings, tmp_path):
    """A store folder of this test's own: other test processes store files at the same time."""
    settings.HUZHU_FILES_DIR = tmp_path / "files"


def workbook(text: str = "张三") -> bytes:
    book = XlsxBook()
    book.sheet("名单", 1).row([text])
    return book.close()


def upload(user, content: bytes, name: str, allowed=rules.WORKBOOKS):
    return store_upload(
        actor=user, source=io.BytesIO(content), name=name, unit_path=user.unit.path, allowed=allowed
    )


def files_on_disk() -> set[str]:
    return {p.name for p in settings.HUZHU_FILES_DIR.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("content", "name"),
    [(ELF, "名单.xlsx"), (PE, "名单.xlsx"), (PE, "名单.csv"), (b"#!/bin/sh\nrm -rf /\n", "a.csv")],
)
def test_s5_a_renamed_program_is_refused_and_nothing_is_kept(people, content, name):
    with pytest.raises(FileRefused) as refused:
        upload(people.hutang_clerk, content, name)
    assert refused.value.message == "该文件是可执行程序，不是文档，未予接收。"
    assert not StoredFile.objects.exists()
    assert files_on_disk() == set()  # not even a half-written temporary file


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.7\n", "名单.xlsx"),  # a PDF named as a workbook
        (workbook(), "名单.pdf"),  # a workbook named as a PDF
        (b"\x00\x01\x02binary", "名单.csv"),
    ],
)
def test_s5_content_and_name_must_agree(people, content, name):
    with pytest.raises(FileRefused) as refused:
        upload(people.hutang_clerk, content, name, allowed=rules.WORKBOOKS | rules.DOCUMENTS)
    assert "不是本页面接收的文件类型" in refused.value.message
    assert not StoredFile.objects.exists()
    assert files_on_disk() == set()


def test_s5_a_file_over_the_limit_is_refused(people, settings):
    settings.HUZHU_UPLOAD_MAX_BYTES = 1 << 20
    with pytest.raises(FileRefused) as refused:
        upload(people.hutang_clerk, "姓名,身份证号\n".encode() * 60_000, "名单.csv")
    assert refused.value.message == "文件超过 1 MB。"
    assert not StoredFile.objects.exists()
    assert files_on_disk() == set()


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        ("姓名,身份证号\n张三,320412198506150013\n".encode("gb18030"), "名单.csv", "csv"),
        (workbook(), "名单.xlsx", "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "加密名单.xlsx", "xls"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "发票.png", "png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "发票.JPG", "jpeg"),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100, "发票.heic", "heic"),
        (b"%PDF-1.4\n", "病历.pdf", "pdf"),
    ],
)
def test_s5_files_are_recognised_by_content(people, content, name, code):
    stored = upload(people.hutang_clerk, content, name, allowed=rules.WORKBOOKS | rules.DOCUMENTS)
    assert stored.file.content_type == rules.KINDS[code].content_type


def test_s5_a_file_is_kept_by_sha256_outside_the_web_root_owner_only(people):
    content = workbook()
    stored = upload(people.hutang_clerk, content, "名单.xlsx")
    digest = hashlib.sha256(content).hexdigest()
    path = path_of(digest)
    assert path.read_bytes() == content
    assert path.relative_to(settings.HUZHU_FILES_DIR).parts == (digest[:2], digest[2:4], digest)
    assert path.stat().st_mode & 0o777 == 0o600
    assert settings.STATIC_ROOT not in path.parents
    row = stored.file
    assert (row.sha256, row.size, row.original_name) == (digest, len(content), "名单.xlsx")
    assert (row.unit_path, row.created_by) == (people.hutang_clerk.unit.path, people.hutang_clerk)
    assert AuditEvent.objects.filter(action=Action.UPLOAD, object_id=str(row.pk)).count() == 1


def test_s5_the_same_upload_twice_is_recognised(people):
    content = workbook()
    first = upload(people.hutang_clerk, content, "名单.xlsx")
    again = upload(people.hutang_clerk, content, "名单（副本）.xlsx")
    assert first.created and not again.created
    assert again.file.pk == first.file.pk
    assert StoredFile.objects.count() == 1
    # Every upload is on record (S3); the second says it brought nothing new.
    rows = AuditEvent.objects.filter(action=Action.UPLOAD).order_by("pk")
    assert [row.data["same_as_before"] for row in rows] == [False, True]


def test_s5_the_same_content_in_another_unit_is_its_own_record(people):
    content = workbook()
    ours = upload(people.hutang_clerk, content, "名单.xlsx")
    theirs = upload(people.niutang_admin, content, "名单.xlsx")
    assert theirs.created and theirs.file.pk != ours.file.pk
    assert theirs.file.unit_path == people.niutang_admin.unit.path


def test_s5_a_stored_file_is_a_no_store_attachment_to_those_in_scope(client, people):
    stored = upload(people.hutang_clerk, workbook(), "名单.xlsx").file
    url = reverse("console:stored_file", args=[stored.pk])
    for user in (people.hutang_clerk, people.hutang_admin, people.district_admin):
        sign_in(client, user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == path_of(stored.sha256).read_bytes()
        assert response["Content-Disposition"].startswith("attachment")
        assert "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action=Action.FILE_DOWNLOAD).count() == 3


def test_s5_another_units_user_gets_404_for_a_stored_file(client, people):
    stored = upload(people.hutang_clerk, workbook(), "名单.xlsx").file
    url = reverse("console:stored_file", args=[stored.pk])
    sign_in(client, people.niutang_admin)
    assert client.get(url).status_code == 404
    # A clerk of another union under the same town: outside the clerk's subtree too.
    town_file = upload(people.hutang_admin, workbook("李四"), "镇名单.xlsx").file
    sign_in(client, people.hutang_clerk)
    assert client.get(reverse("console:stored_file", args=[town_file.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.FILE_DOWNLOAD).exists()
