"""The audit log refuses DELETE on every backend and TRUNCATE on PostgreSQL (SPEC S3).

0002 refused UPDATE everywhere and DELETE on PostgreSQL. SQLite now refuses DELETE too
(SQLite has no TRUNCATE: its truncate optimisation of an unqualified DELETE is off for a
table with a DELETE trigger), and PostgreSQL refuses TRUNCATE, which row triggers never see.

The triggers guard against the application and its mistakes. A role that owns the table can
drop them; docs/deploy.md runs the application under a role that does not. The test suite
lifts them only while it empties the tables between tests (tests/dbtools).
"""

from django.db import migrations

POSTGRES_UP = """
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"""
POSTGRES_DOWN = "DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditevent;"
SQLITE_UP = """
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS audit_no_delete;"


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
