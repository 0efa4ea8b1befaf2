"""Where the photos and scans sent with a claim become claim documents (SPEC C1, S5): the
one place uploads of a claim are counted, checked and kept, for the portal and the console.

Every file goes through the file store's `store_upload` (size limit, type judged by
content, audited); the same content sent again is the row kept before, so a member who
retries after a refusal stores nothing twice.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from huzhu.claims.models import DocumentKind
from huzhu.files import images
from huzhu.files import rules as file_rules
from huzhu.files.models import StoredFile
from huzhu.files.services import FileRefused, store_upload
from huzhu.tabular import quote
from huzhu.uploads import record_rejected_upload

# A claim's photos: enough for a long stay's invoices, few enough that one request stays
# small (each file is also held to HUZHU_UPLOAD_MAX_BYTES).
MAX_FILES_PER_CLAIM = 30
MAX_FILES_PER_KIND = 10
T = TypeVar("T")


class DocumentRefused(FileRefused):
    """A file of a claim not kept: `field` is the document kind it was sent as."""

    def __init__(self, message: str, field: str = "", *, name: str = "", size: int = 0):
        super().__init__(message)
        self.field = field
        self.name = name
        self.size = size


def kind_label(kind: str) -> str:
    return str(DocumentKind(kind).label) if kind in DocumentKind.values else kind


def _check_counts(files: Mapping[str, Sequence[UploadedFile]], already: int) -> None:
    for kind, uploads in files.items():
        if kind not in DocumentKind.values:
            raise DocumentRefused(_("This page does not accept that kind of document."), kind)
        if len(uploads) > MAX_FILES_PER_KIND:
            raise DocumentRefused(
                _("At most %(count)s files for “%(kind)s”: choose the clearest ones.")
                % {"count": MAX_FILES_PER_KIND, "kind": kind_label(kind)},
                kind,
            )
    total = already + sum(len(uploads) for uploads in files.values())
    if total > MAX_FILES_PER_CLAIM:
        raise DocumentRefused(
            _("A claim holds at most %(count)s files: send fewer.")
            % {"count": MAX_FILES_PER_CLAIM},
            "documents",
        )


def _prepared(upload: UploadedFile) -> tuple[UploadedFile | bytes, str]:
    """The file as it is to be kept, and its name (SPEC S5): a photo or scan is checked
    whole (huzhu.files.images: damaged files, decompression bombs, PDFs without an end),
    photos are turned upright, cut to 2,000 px and stripped of their metadata (GPS) before
    anything is stored. What is too large or of no document kind goes on as it came, for
    `store_upload` to refuse by size or content."""
    name = upload.name or ""
    if (upload.size or 0) > settings.HUZHU_UPLOAD_MAX_BYTES:
        return upload, name
    upload.seek(0)
    content = upload.read()
    kind = file_rules.sniff(content[: file_rules.HEAD_BYTES])
    if kind is None or kind.code not in file_rules.DOCUMENTS:
        return content, name
    images.check_document(content, kind.code, name=name)
    kept = images.normalized_jpeg(content, kind.code, name=name)
    return kept.content, kept.name_for(name)


def store_documents(
    *,
    files: Mapping[str, Sequence[UploadedFile]],
    unit_path: str,
    actor,
    request=None,
    already: int = 0,
) -> list[tuple[str, StoredFile]]:
    """Keep the files sent for a claim, per document kind, under the claim's unit; raise
    DocumentRefused naming the document and the file when one is refused. All or nothing:
    a refusal keeps none of this request's rows. `already`: files the claim holds before."""
    _check_counts(files, already)
    kept: list[tuple[str, StoredFile]] = []
    with transaction.atomic():
        for kind, uploads in files.items():
            for upload in uploads:
                name = upload.name or ""
                try:
                    source, kept_name = _prepared(upload)
                    stored = store_upload(
                        actor=actor,
                        source=source,
                        name=kept_name,
                        unit_path=unit_path,
                        allowed=file_rules.DOCUMENTS,
                        purpose="claim",
                        request=request,
                    )
                except FileRefused as exc:
                    raise DocumentRefused(
                        _("“%(kind)s”, file %(name)s: %(reason)s")
                        % {
                            "kind": kind_label(kind),
                            "name": quote(name, 100),
                            "reason": exc.message,
                        },
                        kind,
                        name=name,
                        size=upload.size or 0,
                    ) from exc
                kept.append((kind, stored.file))
    return kept


def with_documents(
    *,
    files: Mapping[str, Sequence[UploadedFile]],
    unit_path: str,
    actor,
    then: Callable[[list[tuple[str, StoredFile]]], T],
    request=None,
    already: int = 0,
) -> T:
    """Keep the files and pass them to `then` (the submission, the resending) in one
    transaction: a refused file or a refused claim keeps neither. A refused file is
    audited after the rollback (SPEC S3), so that its row stays."""
    try:
        with transaction.atomic():
            kept = store_documents(
                files=files, unit_path=unit_path, actor=actor, request=request, already=already
            )
            return then(kept)
    except DocumentRefused as exc:
        record_rejected_upload(
            actor=actor,
            kind="claim",
            name=exc.name,
            size=exc.size,
            reasons=[exc.message],
            request=request,
        )
        raise


def uploads_by_kind(files, kinds: Iterable[str]) -> dict[str, list[UploadedFile]]:
    """The files a form sent, per document kind, from inputs named `doc-<kind>`."""
    found = {}
    for kind in kinds:
        uploads = files.getlist(f"doc-{kind}")
        if uploads:
            found[kind] = uploads
    return found
