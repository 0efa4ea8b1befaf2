import io
import sqlite3
import tarfile

import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db
def test_s6_backup_archive_holds_the_keys_and_a_readable_database(tmp_path):
    out = tmp_path / "b.tar.gz"
    call_command("backup", "--out", str(out), stdout=io.StringIO())
    names = tarfile.open(out).getnames()
    assert "keys/field_key" in names and "keys/lookup_key" in names
    if connection.vendor == "sqlite":
        assert "huzhu.sqlite3" in names
        archive = tarfile.open(out)
        archive.extract("huzhu.sqlite3", tmp_path, filter="data")
        copy = sqlite3.connect(tmp_path / "huzhu.sqlite3")
        tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master")}
        assert {"members_member", "audit_auditevent", "org_target"} <= tables
    assert oct(out.stat().st_mode)[-3:] == "600"
