"""SQLite: an INSERT may not reuse the id of an existing audit row (SPEC S3).

`REPLACE INTO` / `INSERT OR REPLACE` resolve the id conflict by deleting the old row, and
that implicit delete does not fire the DELETE trigger (unless recursive triggers are on), so
row 1 could be silently rewritten. A BEFORE INSERT trigger sees the insert first and refuses
it while the id is taken. PostgreSQL has no REPLACE; its `ON CONFLICT DO UPDATE` is an
UPDATE, which 0002 refuses.

Whoever can write the SQLite file can drop these triggers: on SQLite they guard against the
application's mistakes, and PostgreSQL with the role split is the guarantee (docs/deploy.md).
"""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit_auditevent
WHEN EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS audit_no_replace;"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_refuse_delete_and_truncate")]
    operations = [migrations.RunPython(create_trigger, drop_trigger)]
