"""Two imports of overlapping rosters at the same moment (SPEC E1, E5, X4): each member gets
one enrollment with one active authorization, and the rows the other import took count as
already enrolled."""

import threading

import pytest
from django.db import connection, connections

from huzhu.enrollment.models import Authorization, Enrollment
from huzhu.members.models import Member
from huzhu.org.models import Unit
from huzhu.rosters import importer
from tests.rosters import files


@pytest.mark.django_db(transaction=True)
def test_e1_two_overlapping_imports_at_once_leave_one_enrollment_each(tree, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    # Both imports judge every row before either writes: both mean to create members 11–20.
    judged = threading.Barrier(2, timeout=30)
    write = importer._Importer.write

    def judge_then_wait(self):
        judged.wait()
        return write(self)

    monkeypatch.setattr(importer._Importer, "write", judge_then_wait)
    outcomes: dict[str, object] = {}
    lock = threading.Lock()

    def importing(name: str, numbers: range):
        content = files.xlsx(files.sheet_rows([files.person(n) for n in numbers]))
        try:
            result: object = importer.import_roster(
                content=content,
                filename=f"{name}.xlsx",
                password=None,
                year=2022,
                kind="new",
                signed_on=files.SIGNED_ON,
                unit=tree.hutang_union,
                actor=None,
                dry_run=False,
                upload=None,
            )
        except Exception as exc:  # noqa: BLE001 - the test reports any failure as such
            result = exc
        finally:
            connections.close_all()
        with lock:
            outcomes[name] = result

    threads = [
        threading.Thread(target=importing, args=("a", range(1, 21))),
        threading.Thread(target=importing, args=("b", range(11, 31))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not judged.broken
    results = list(outcomes.values())
    assert all(isinstance(r, importer.RosterResult) for r in results), outcomes
    assert sum(r.imported for r in results) == 30  # type: ignore[attr-defined]
    assert sum(r.already_enrolled for r in results) == 10  # type: ignore[attr-defined]
    assert sum(r.rejected for r in results) == 0  # type: ignore[attr-defined]
    assert Member.objects.count() == 30
    assert Enrollment.objects.count() == 30
    assert Authorization.objects.filter(active=True).count() == 30
    assert Authorization.objects.count() == 30
    assert Unit.objects.get(pk=tree.hutang_union.pk).member_count == 30
