"""The audit log is append-only in the database itself (SPEC S3): UPDATE and DELETE are
refused on every backend, TRUNCATE on PostgreSQL (SQLite has none), and on SQLite an insert
may not reuse a row's id (REPLACE would rewrite the row without firing the DELETE trigger)."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

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


COLUMNS = "id, at, actor_label, action, object_type, object_id, unit_path, summary, data"
FORGED = "VALUES (%s, %s, 'system', 'backup', '', '', '', 'forged', '{}')"


def _forge(statement: str, event) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk, timezone.now()])


@pytest.mark.django_db
@pytest.mark.parametrize("verb", ["REPLACE INTO", "INSERT OR REPLACE INTO"])
def test_s3_an_audit_row_cannot_be_replaced_on_sqlite(verb):
    if connection.vendor != "sqlite":
        pytest.skip("REPLACE is SQLite's; PostgreSQL's upsert is refused as an UPDATE")
    event = record_event(action=Action.BACKUP, summary="original")
    with pytest.raises(DatabaseError, match="append-only"):
        _forge(f"{verb} audit_auditevent ({COLUMNS}) {FORGED}", event)
    event.refresh_from_db()
    assert event.summary == "original"


@pytest.mark.django_db
def test_s3_an_audit_row_cannot_be_overwritten_by_an_upsert_or_a_second_insert():
    event = record_event(action=Action.BACKUP, summary="original")
    before = AuditEvent.objects.count()
    upsert = (
        f"INSERT INTO audit_auditevent ({COLUMNS}) {FORGED} "
        "ON CONFLICT (id) DO UPDATE SET summary = excluded.summary"
    )
    with pytest.raises(DatabaseError):
        _forge(upsert, event)
    with pytest.raises(DatabaseError):
        _forge(f"INSERT INTO audit_auditevent ({COLUMNS}) {FORGED}", event)
    event.refresh_from_db()
    assert event.summary == "original"
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
    if connection.vendor == "sqlite":
        with pytest.raises(DatabaseError, match="append-only"):
            _forge(f"REPLACE INTO audit_auditevent ({COLUMNS}) {FORGED}", event)
