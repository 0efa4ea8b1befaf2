import pytest
from django.db import DatabaseError, connection, transaction

from huzhu.audit.models import AuditEvent
from huzhu.audit.services import record_event


@pytest.mark.django_db
def test_s3_audit_rows_cannot_be_updated():
    event = record_event(action="test.event", summary="original")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="changed")
    event.refresh_from_db()
    assert event.summary == "original"


@pytest.mark.django_db
def test_s3_audit_rows_cannot_be_deleted_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("DELETE is guarded on PostgreSQL only (see the migration)")
    event = record_event(action="test.event")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
