"""Two signings of one member for one year at the same moment (SPEC E1, E5): one
enrollment, one active authorization, and neither signer sees an error."""

import datetime
import threading

import pytest
from django.db import connection, connections

from huzhu.enrollment import services
from huzhu.enrollment.models import Authorization, Enrollment


@pytest.mark.django_db(transaction=True)
def test_e1_e5_two_concurrent_signings_leave_one_enrollment(people, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    member = people.member
    # Both signings pass the eligibility check before either looks for the enrollment: the
    # interleaving in which both try to create it, every run.
    checked = threading.Barrier(2, timeout=30)
    check = services._check_eligibility

    def check_then_wait(**kwargs):
        place = check(**kwargs)
        checked.wait()
        return place

    monkeypatch.setattr(services, "_check_eligibility", check_then_wait)
    outcomes: dict[str, object] = {}
    lock = threading.Lock()

    def signing(channel: str):
        try:
            result: object = services.sign(
                member=member,
                year=2022,
                channel=channel,
                signed_on=datetime.date(2021, 11, 1),
                source="console",
                actor=None,
            )
        except Exception as exc:  # noqa: BLE001 - the test reports any failure as such
            result = exc
        finally:
            connections.close_all()
        with lock:
            outcomes[channel] = result

    threads = [threading.Thread(target=signing, args=(c,)) for c in ("online", "paper")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not checked.broken
    assert all(isinstance(r, services.Signed) for r in outcomes.values()), outcomes
    assert sorted(r.created for r in outcomes.values()) == [False, True]  # type: ignore[attr-defined]
    assert Enrollment.objects.count() == 1
    assert Authorization.objects.filter(active=True).count() == 1
    assert Authorization.objects.count() == 2
    later = Authorization.objects.get(supersedes__isnull=False)
    assert later.supersedes.active is False
