"""Sending a stored file (SPEC S3, S5): to someone the caller has found may have it, with
its audit row, never sniffed by the browser; 410 when it is no longer on disk."""

import logging

from django.http import FileResponse
from django.http.response import HttpResponseBase

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.errors import file_gone
from huzhu.files.models import StoredFile
from huzhu.files.services import open_stored

logger = logging.getLogger(__name__)


def stored_response(
    request, stored: StoredFile, *, actor, member=None, inline: bool = False
) -> HttpResponseBase:
    """`inline`: shown in the browser (a member's own photo or scan) rather than saved;
    `member`: the portal member it is sent to, when there is no staff actor."""
    try:
        content = open_stored(stored)
    except FileNotFoundError:
        logger.error("stored file %s (%s) is missing from the store", stored.pk, stored.sha256)
        return file_gone(request)
    record_event(
        action=Action.FILE_DOWNLOAD,
        actor=actor,
        member=member,
        request=request,
        target=stored,
        unit_path=stored.unit_path,
        summary=stored.original_name[:200],
        data={"sha256": stored.sha256, "size": stored.size},
    )
    response = FileResponse(
        content,
        as_attachment=not inline,
        filename=stored.original_name,
        content_type=stored.content_type,
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
