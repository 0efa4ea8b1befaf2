"""`flush` for the test runner: the append-only tables' guards lifted for the purge only.

Between transactional tests (and the browser tests' live server) Django empties every table:
DELETE on SQLite, TRUNCATE on PostgreSQL, both refused on the audit log and the fund ledger by
their triggers. This command lifts every trigger of those tables (on SQLite read back from
sqlite_master), runs Django's flush and puts them back, all
in one transaction, as the schema's owner would to purge under a retention rule. It is found
before Django's own because tests/settings.py lists this app first; production never
installs it, and the application's role could not alter the table anyway (docs/deploy.md).
"""

from django.core.management.commands import flush
from django.db import connections, transaction

GUARDED_TABLES = ("audit_auditevent", "ledger_ledgerentry")


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        present = set(connection.introspection.table_names())
        tables = [table for table in GUARDED_TABLES if table in present]
        if not tables:
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # Deferred foreign-key checks still queued would block ALTER TABLE.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    for table in tables:
                        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                    super().handle(**options)
                    for table in tables:
                        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                else:
                    # SQLite cannot disable a trigger: drop it and create it again as it was.
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                        f"AND tbl_name IN ({', '.join(['%s'] * len(tables))})",
                        tables,
                    )
                    triggers = cursor.fetchall()
                    for name, _sql in triggers:
                        cursor.execute(f'DROP TRIGGER "{name}"')
                    super().handle(**options)
                    for _name, sql in triggers:
                        cursor.execute(sql)
