"""docs/deploy.md's grants, run as written: the application's PostgreSQL role appends to the
audit log and reads it, and can neither change, delete, truncate it nor lift its triggers
(SPEC S3). The roles live in this test's transaction and vanish with it."""

import re
import uuid
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from huzhu.accounts.models import User
from huzhu.accounts.roles import Role
from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.audit.services import record_event
from huzhu.org.services import district

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def grants_sql() -> list[str]:
    """The statements of the ```sql block that starts with `-- huzhu-grants`."""
    blocks = re.findall(r"```sql\n(.*?)```", DEPLOY.read_text("utf-8"), re.S)
    (block,) = [b for b in blocks if b.startswith("-- huzhu-grants")]
    lines = [line for line in block.splitlines() if not line.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def deploy_guide_role(cursor) -> str:
    """A role granted exactly what docs/deploy.md grants huzhu_app (gone with the test's
    transaction)."""
    app = f"huzhu_app_{uuid.uuid4().hex[:10]}"
    cursor.execute(f"CREATE ROLE {app} NOLOGIN")
    for statement in grants_sql():
        cursor.execute(statement.replace("huzhu_app", app))
    return app


def table_privileges(cursor, role: str, table: str) -> dict[str, bool]:
    cursor.execute(
        "SELECT p, has_table_privilege(%s, %s, p) "
        "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p",
        [role, table],
    )
    return dict(cursor.fetchall())


READ_AND_APPEND = {
    "SELECT": True,
    "INSERT": True,
    "UPDATE": False,
    "DELETE": False,
    "TRUNCATE": False,
}


def refused(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError:
        return True
    return False


@pytest.mark.django_db
def test_s3_the_app_role_of_the_deploy_guide_appends_but_cannot_erase_the_audit_log():
    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    with connection.cursor() as cursor:
        app = deploy_guide_role(cursor)
        # The grants themselves, apart from the triggers that refuse the same things.
        assert table_privileges(cursor, app, "audit_auditevent") == READ_AND_APPEND
        cursor.execute("SELECT has_table_privilege(%s, 'members_member', 'DELETE')", [app])
        assert cursor.fetchone() == (True,)
        unit = district()
        kept = record_event(action=Action.BACKUP, summary="before")
        cursor.execute(f"SET ROLE {app}")
    try:
        # What the application does every day still works.
        record_event(action=Action.RESTORE, summary="appended by the app role")
        assert AuditEvent.objects.filter(summary="appended by the app role").exists()
        User.objects.create_user(username="new", password="x", role=Role.AUDITOR, unit=unit)
        assert User.objects.filter(username="new").update(display_name="新") == 1

        assert refused(f"UPDATE audit_auditevent SET summary = 'x' WHERE id = {kept.pk}")
        assert refused(f"DELETE FROM audit_auditevent WHERE id = {kept.pk}")
        assert refused("TRUNCATE audit_auditevent")
        assert refused("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        assert refused("DROP TRIGGER audit_no_update ON audit_auditevent")
        assert refused("CREATE TABLE sneaky (id int)")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    kept.refresh_from_db()
    assert kept.summary == "before"
