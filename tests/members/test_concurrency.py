"""Two uploads registering the same person at the same moment: the database constraint
decides, and the loser gets the ordinary message (SPEC M1, M4)."""

import threading

import pytest
from django.db import connection, connections

from huzhu.members.models import Member
from huzhu.members.services import MemberError, MemberInput, create_member
from tests.conftest import make_id_number


@pytest.mark.django_db(transaction=True)
def test_m1_two_concurrent_registrations_of_one_id_create_one_member(tree):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    data = MemberInput(
        name="王五",
        id_number=make_id_number(),
        phone="13700001111",
        union_card="6231660000000009999",
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register():
        try:
            barrier.wait()
            create_member(actor=None, unit=tree.hutang_union, data=data)
            outcomes.append("created")
        except MemberError as exc:
            outcomes.append(next(iter(exc.errors)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "id_number"]
    assert Member.objects.count() == 1
