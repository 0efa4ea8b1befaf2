"""Roster uploads made directly, without the importer: a stored file, the upload row and
paper authorizations that name it, as an import leaves them."""

import datetime
import itertools

from django.utils import timezone

from huzhu.enrollment import services as enrollment_services
from huzhu.enrollment.models import Authorization
from huzhu.files import rules as file_kinds
from huzhu.files.services import store_generated
from huzhu.rosters.models import ImportStatus, Review, RosterKind, RosterUpload, Source

_serial = itertools.count(1)
SIGNED_ON = datetime.date(2021, 11, 1)


def make_roster(
    *,
    unit,
    uploader,
    members=(),
    year=2022,
    status=ImportStatus.IMPORTED,
    review=Review.AWAITING,
    uploaded_at=None,
    errors=False,
    name=None,
):
    number = next(_serial)
    stored = store_generated(
        actor=uploader,
        content=f"roster {number}\n".encode(),
        name=name or f"{unit.name}11{number:02d}.csv",
        unit_path=unit.path,
        kind=file_kinds.CSV,
    ).file
    errors_file = (
        store_generated(
            actor=uploader,
            content=f"errors {number}\n".encode(),
            name=f"错误-{number}.csv",
            unit_path=unit.path,
            kind=file_kinds.CSV,
        ).file
        if errors
        else None
    )
    roster = RosterUpload.objects.create(
        year=year,
        kind=RosterKind.NEW,
        unit=unit,
        unit_path=unit.path,
        file=stored,
        signed_on=SIGNED_ON,
        source=Source.CONSOLE,
        uploaded_by=uploader,
        uploaded_at=uploaded_at or timezone.now(),
        status=status,
        imported=len(members),
        rejected=1 if errors else 0,
        errors_file=errors_file,
        review=review,
    )
    for member in members:
        signed = enrollment_services.sign(
            member=member,
            year=year,
            channel="paper",
            signed_on=SIGNED_ON,
            source="roster",
            actor=uploader,
        )
        Authorization.objects.filter(pk=signed.authorization.pk).update(roster=roster)
    return roster
