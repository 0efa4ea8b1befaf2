"""A claim's files are checked whole and kept without their metadata (SPEC C1, S5)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from huzhu.claims.documents import DocumentRefused, store_documents
from huzhu.files.models import StoredFile
from huzhu.files.services import open_stored
from tests.files.test_images import GPS_IFD, phone_exif, photo

pytestmark = pytest.mark.django_db


def upload(content: bytes, name="invoice.jpg"):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def test_s5_a_phone_photo_is_kept_upright_small_and_without_its_gps_location(tree):
    sent = photo(size=(4000, 3000), exif=phone_exif(orientation=6))
    [(kind, stored)] = store_documents(
        files={"invoice": [upload(sent)]}, unit_path=tree.hutang_union.path, actor=None
    )
    with open_stored(stored) as handle:
        kept = Image.open(io.BytesIO(handle.read()))
        kept.load()
    assert kind == "invoice" and stored.content_type == "image/jpeg"
    assert max(kept.size) <= 2000 and kept.size[1] > kept.size[0]  # turned upright
    assert not kept.getexif().get_ifd(GPS_IFD)


def test_s5_a_jpeg_header_followed_by_garbage_is_refused_naming_the_document(tree):
    forged = b"\xff\xd8\xff\xe0" + b"\x00garbage" * 500
    with pytest.raises(DocumentRefused) as refused:
        store_documents(
            files={"invoice": [upload(forged, "发票.jpg")]},
            unit_path=tree.hutang_union.path,
            actor=None,
        )
    assert refused.value.field == "invoice"
    assert "住院发票" in refused.value.message and "发票.jpg" in refused.value.message
    assert not StoredFile.objects.exists()


def test_s5_a_script_renamed_jpg_is_refused(tree):
    with pytest.raises(DocumentRefused) as refused:
        store_documents(
            files={"id_card": [upload(b"#!/bin/sh\nrm -rf /\n", "id.jpg")]},
            unit_path=tree.hutang_union.path,
            actor=None,
        )
    assert refused.value.field == "id_card"
    assert not StoredFile.objects.exists()
