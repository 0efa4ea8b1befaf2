"""SPEC D9: ledger entries are never edited nor deleted — a database guarantee, not only
code. As for the audit log (audit 0002–0004): PostgreSQL refuses UPDATE, DELETE and
TRUNCATE; SQLite refuses UPDATE, DELETE and an INSERT that would replace a row. A correction
is a new entry. The test suite lifts the triggers only while it empties the tables between
tests (tests/dbtools); docs/deploy.md grants the application role SELECT and INSERT only."""

from django.db import migrations

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION ledger_never_edited() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger_ledgerentry is append-only';
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON ledger_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_never_edited()""",
    """CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger_ledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_never_edited()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS ledger_no_truncate ON ledger_ledgerentry",
    "DROP TRIGGER IF EXISTS ledger_no_update ON ledger_ledgerentry",
    "DROP FUNCTION IF EXISTS ledger_never_edited()",
]
SQLITE_UP = [
    """CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger_ledgerentry
BEGIN SELECT RAISE(ABORT, 'ledger_ledgerentry is append-only'); END""",
    """CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger_ledgerentry
BEGIN SELECT RAISE(ABORT, 'ledger_ledgerentry is append-only'); END""",
    """CREATE TRIGGER ledger_no_replace BEFORE INSERT ON ledger_ledgerentry
WHEN EXISTS (SELECT 1 FROM ledger_ledgerentry WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'ledger_ledgerentry is append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS ledger_no_replace",
    "DROP TRIGGER IF EXISTS ledger_no_delete",
    "DROP TRIGGER IF EXISTS ledger_no_update",
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP})


def drop_triggers(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_fund_ledger")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
