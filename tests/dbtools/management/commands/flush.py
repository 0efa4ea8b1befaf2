"""`flush` for the test runner: the audit table's guard lifted for the purge only.

Between transactional tests (and the browser tests' live server) Django empties every table:
DELETE on SQLite, TRUNCATE on PostgreSQL, both refused on audit_auditevent by its triggers.
This command lifts every trigger of the table (on SQLite audit_no_update, audit_no_delete and
audit_no_replace, read back from sqlite_master), runs Django's flush and puts them back, all
in one transaction, as the schema's owner would to purge under a retention rule. It is found
before Django's own because tests/settings.py lists this app first; production never
installs it, and the application's role could not alter the table anyway (docs/deploy.md).
"""

from django.core.management.commands import flush
from django.db import connections, transaction

AUDIT_TABLE = "audit_auditevent"


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if AUDIT_TABLE not in connection.introspection.table_names():
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # Deferred foreign-key checks still queued would block ALTER TABLE.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute(f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER USER")
                    super().handle(**options)
                    cursor.execute(f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER USER")
                else:
                    # SQLite cannot disable a trigger: drop it and create it again as it was.
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                        "AND tbl_name = %s",
                        [AUDIT_TABLE],
                    )
                    triggers = cursor.fetchall()
                    for name, _sql in triggers:
                        cursor.execute(f'DROP TRIGGER "{name}"')
                    super().handle(**options)
                    for _name, sql in triggers:
                        cursor.execute(sql)
