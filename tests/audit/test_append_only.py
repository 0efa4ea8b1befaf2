"""The audit log is append-only in the database itself (SPEC S3): UPDATE and DELETE are
refused on every backend, TRUNCATE on PostgreSQL (SQLite has none)."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.audit.services import record_event


@pytest.mark.django_db
def test_s3_audit_rows_cannot_be_updated():
    event = record_event(action=Action.BACKUP, summary="original")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="changed")
    event.refresh_from_db()
    assert event.summary == "original"


@pytest.mark.django_db
def test_s3_audit_rows_cannot_be_deleted():
    event = record_event(action=Action.BACKUP)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_s3_deleting_the_whole_audit_table_in_sql_is_refused():
    record_event(action=Action.BACKUP)
    before = AuditEvent.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_s3_audit_table_cannot_be_truncated_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE statement")
    record_event(action=Action.BACKUP)
    before = AuditEvent.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            # The row's deferred foreign-key checks first, or TRUNCATE refuses for that.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_s3_the_test_runners_flush_puts_the_guard_back_after_emptying_the_table():
    # tests/dbtools lifts the triggers for the flush between transactional tests only.
    record_event(action=Action.BACKUP)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.filter(action=Action.BACKUP).exists()
    event = record_event(action=Action.RESTORE)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
