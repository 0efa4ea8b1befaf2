"""The targets page keeps its uploads in the file store: the file is kept by content, and
the same file sent again is recognised and the person told so."""

import hashlib
from importlib import resources

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huzhu.files.models import StoredFile
from huzhu.files.services import path_of
from tests.conftest import sign_in
from tests.files.test_store import ELF

NOTICE = resources.files("huzhu").joinpath("data/targets-2022.csv").read_bytes()


def send(client, content, name="附件1.csv"):
    return client.post(
        reverse("console:targets_import"),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    ).content.decode()


def test_e6_a_targets_upload_is_kept_and_the_same_file_again_is_recognised(client, people):
    sign_in(client, people.district_admin)
    first = send(client, NOTICE)
    assert "之前上传过的文件相同" not in first
    stored = StoredFile.objects.get()
    assert stored.sha256 == hashlib.sha256(NOTICE).hexdigest()
    assert path_of(stored.sha256).read_bytes() == NOTICE
    assert stored.created_by == people.district_admin

    again = send(client, NOTICE, "附件1（再次）.csv")
    assert "该文件与之前上传过的文件相同。" in again
    assert StoredFile.objects.count() == 1


def test_s5_a_renamed_program_is_refused_on_the_targets_page(client, people):
    sign_in(client, people.district_admin)
    page = send(client, ELF, "附件1.xlsx")
    assert "未导入任何数据。" in page
    assert not StoredFile.objects.exists()
