"""Photos and scans of claim documents (SPEC C1, S5): what `rules.sniff` called a JPEG, PNG,
HEIC or PDF is checked further here, and photos are made fit to keep and to show.

`rules.sniff` judges the first bytes only. A JPEG header followed by garbage, a photo cut off
half-way, or a PNG declaring 30,000 × 30,000 pixels (a "decompression bomb": a few kilobytes
that decode into gigabytes) pass that test; `check_document` refuses them before anything
decodes them for a reviewer.

Phone photos carry EXIF metadata, among it where the photo was taken (GPS). A claim needs the
invoice, not the member's home: `normalized_jpeg` re-encodes a photo without its metadata, at
most 2,000 px on the long edge, turned upright. The browser already shrinks photos before the
upload (huzhu/static/huzhu/photos.js); this is the server's own check for those it did not.

A caller holds the upload (at most HUZHU_UPLOAD_MAX_BYTES) and keeps only what comes out:

    kind = rules.sniff(head)                 # None: refused as any other upload
    check_document(content, kind.code, name=name)
    kept = normalized_jpeg(content, kind.code, name=name)
    store_upload(source=kept.content, name=kept.name_for(name), allowed=rules.DOCUMENTS, …)

HEIC (desktop Safari, AirDrop) is kept as sent: Pillow cannot open it, and the library that
can (pillow-heif) is GPL. iOS itself converts HEIC to JPEG for a web page's file input.
"""

import io
import os
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.utils.translation import gettext as _
from PIL import Image

from huzhu.files.services import FileRefused
from huzhu.tabular import quote

# 40 million pixels: a 108 MP phone camera's full-size photo is refused, every usual one
# (12–50 MP) is kept. Decoded as RGB that is at most 120 MB, checked before decoding.
PIXEL_LIMIT = 40_000_000
LONG_EDGE = 2000
JPEG_QUALITY = 85
THUMBNAIL_EDGE = 320
PDF_PAGE_LIMIT = 200
# Where a PDF's end-of-file marker must be: writers may add a line end or a few bytes after it.
PDF_TAIL_BYTES = 2048
# Orientation tag of EXIF: 1 is upright, 2–8 say how the camera was held.
ORIENTATION = 0x0112
# Metadata a photo may carry that says more than the document shows: EXIF (GPS, camera,
# time), XMP (the same again), Photoshop's IPTC block, a JPEG comment.
METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "photoshop", "comment")
PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG"}
# What each orientation asks for, as ImageOps.exif_transpose turns it; done here from the
# orientation alone, because exif_transpose also rewrites the EXIF block, which a damaged
# photo's EXIF can make fail after the pixels decoded fine (and we drop that block anyway).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

Source = str | os.PathLike[str] | bytes | IO[bytes]


@dataclass(frozen=True)
class DocumentInfo:
    kind: str  # rules.Kind.code
    width: int | None = None
    height: int | None = None
    # None when the count is not visible without a PDF reader (compressed object streams).
    pages: int | None = None
    # False for HEIC and PDF: no thumbnail; the reviewer downloads the file.
    previewable: bool = False


@dataclass(frozen=True)
class Normalized:
    content: bytes
    kind: str  # "jpeg" when re-encoded, otherwise the kind it came as
    changed: bool

    def name_for(self, name: str) -> str:
        """The name to store the content under: `x.png` re-encoded is `x.jpg`, so that its
        extension still fits its content (rules.name_fits)."""
        if not self.changed or PurePath(name).suffix.lower() in (".jpg", ".jpeg"):
            return name
        return str(PurePath(name).with_suffix(".jpg")) if PurePath(name).suffix else name + ".jpg"


def _read(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            return file.read()
    source.seek(0)
    return source.read()


def _name(source: Source, name: str) -> str:
    if not name and isinstance(source, str | os.PathLike):
        name = PurePath(source).name
    elif not name:
        name = str(getattr(source, "name", "") or "")
    return quote(PurePath(name.replace("\\", "/")).name or _("the file"), 100)


def _unreadable(name: str) -> FileRefused:
    return FileRefused(
        _(
            "%(name)s could not be read as an image: it is damaged or not a photo. "
            "Please take the photo again."
        )
        % {"name": name}
    )


def _open(content: bytes, kind_code: str, name: str) -> Image.Image:
    """The image, its size checked against PIXEL_LIMIT, not yet decoded."""
    try:
        image = Image.open(io.BytesIO(content), formats=[PILLOW_FORMATS[kind_code]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit (89 MP warns, twice that refuses) lies above ours: only a far
        # larger image gets here. The warning is raised only where warnings are errors.
        raise _too_many_pixels(name, None) from None
    except Exception as exc:  # Pillow's parsers raise many kinds on bad input
        raise _unreadable(name) from exc
    width, height = image.size
    if width * height > PIXEL_LIMIT:
        image.close()
        raise _too_many_pixels(name, width * height)
    if width < 1 or height < 1:
        image.close()
        raise _unreadable(name)
    return image


def _too_many_pixels(name: str, pixels: int | None) -> FileRefused:
    if pixels is None:
        return FileRefused(
            _(
                "%(name)s is far too large an image. "
                "Please send a photo of at most %(limit)s million pixels."
            )
            % {"name": name, "limit": PIXEL_LIMIT // 1_000_000}
        )
    return FileRefused(
        _(
            "%(name)s is too large an image (%(pixels)s million pixels). "
            "Please send a photo of at most %(limit)s million pixels."
        )
        % {"name": name, "pixels": pixels // 1_000_000, "limit": PIXEL_LIMIT // 1_000_000}
    )


def _decoded(content: bytes, kind_code: str, name: str, box: tuple[int, int] | None = None):
    """The image fully decoded (a cut-off or forged file fails here). `box`: the size
    needed at most; a JPEG then decodes at a reduced scale (DCT scaling), which still reads
    every byte of it but holds far fewer pixels."""
    image = _open(content, kind_code, name)
    try:
        if box is not None and kind_code == "jpeg":
            image.draft("RGB", box)
        image.load()
    except Exception as exc:  # truncated data, bad Huffman tables, CRC errors…
        image.close()
        raise _unreadable(name) from exc
    return image


def _pdf_info(content: bytes, name: str) -> DocumentInfo:
    if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-PDF_TAIL_BYTES:]:
        raise FileRefused(
            _("%(name)s is not a complete PDF file. Please save or scan it again.") % {"name": name}
        )
    # Page objects written plainly; in compressed object streams they are not visible, and
    # then the count stays unknown rather than wrong.
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", content))
    if pages > PDF_PAGE_LIMIT:
        raise FileRefused(
            _("%(name)s has more than %(limit)s pages. Please send only the pages the claim needs.")
            % {"name": name, "limit": PDF_PAGE_LIMIT}
        )
    return DocumentInfo(kind="pdf", pages=pages or None)


def check_document(source: Source, kind_code: str, *, name: str = "") -> DocumentInfo:
    """Whether a document `rules.sniff` judged to be `kind_code` really is one; FileRefused,
    with a message naming the file, when it is not. `name`: what the sender called the file
    (a path's own name otherwise)."""
    label = _name(source, name)
    content = _read(source)
    if kind_code == "pdf":
        return _pdf_info(content, label)
    if kind_code == "heic":
        return DocumentInfo(kind="heic")
    if kind_code not in PILLOW_FORMATS:
        raise _unreadable(label)
    with _open(content, kind_code, label) as probe:
        width, height = probe.size  # as stored, not as decoded at a reduced scale
        if _orientation(probe) in (5, 6, 7, 8):
            width, height = height, width
    _decoded(content, kind_code, label, box=(64, 64)).close()
    return DocumentInfo(kind=kind_code, width=width, height=height, previewable=True)


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION, 1)
    except Exception:  # a damaged EXIF block: treated as upright
        return 1
    return value if isinstance(value, int) else 1


def _target(size: tuple[int, int], edge: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _jpeg(image: Image.Image, edge: int, quality: int) -> bytes:
    """Upright, at most `edge` px on the long side, as RGB JPEG without metadata (a colour
    profile is kept: without it colours shift)."""
    method = UPRIGHT.get(_orientation(image))
    upright = image.transpose(method) if method is not None else image.copy()
    upright.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    if upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    ):
        # A screenshot with transparency: on white, as it looks on paper.
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    elif upright.mode != "RGB":
        upright = upright.convert("RGB")
    out = io.BytesIO()
    options = {"quality": quality, "optimize": True}
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc
    upright.save(out, "JPEG", **options)
    return out.getvalue()


def normalized_jpeg(source: Source, kind_code: str, *, name: str = "") -> Normalized:
    """A JPEG or PNG made fit to keep: re-encoded as JPEG (upright, long edge at most 2,000
    px, quality 85, EXIF/GPS and other metadata removed) when it is larger, turned by EXIF
    or carries metadata; a small upright image without metadata comes back as it was. PDF
    and HEIC come back as they were."""
    label = _name(source, name)
    content = _read(source)
    if kind_code not in PILLOW_FORMATS:
        return Normalized(content, kind_code, changed=False)
    with _open(content, kind_code, label) as probe:
        size = probe.size
        carries = any(key in probe.info for key in METADATA_KEYS)
        turned = _orientation(probe) != 1
    if max(size) <= LONG_EDGE and not carries and not turned:
        _decoded(content, kind_code, label).close()  # still the whole file must decode
        return Normalized(content, kind_code, changed=False)
    with _decoded(content, kind_code, label, box=_target(size, LONG_EDGE)) as image:
        return Normalized(_jpeg(image, LONG_EDGE, JPEG_QUALITY), "jpeg", changed=True)


def thumbnail_jpeg(
    source: Source, kind_code: str, edge: int = THUMBNAIL_EDGE, *, name: str = ""
) -> bytes | None:
    """A small upright JPEG for lists of documents; None for what cannot be previewed
    (PDF, HEIC)."""
    if kind_code not in PILLOW_FORMATS:
        return None
    label = _name(source, name)
    content = _read(source)
    with _open(content, kind_code, label) as probe:
        size = probe.size
    with _decoded(content, kind_code, label, box=_target(size, edge)) as image:
        return _jpeg(image, edge, 80)
