"""Two registrations of the same person at the same moment (SPEC M1, M4): the database
constraint decides, and the loser is told the person was registered just now — not that
their own card belongs to another member."""

import threading

import pytest
from django.db import connection, connections

from huzhu.members import services
from huzhu.members.models import Member
from huzhu.members.services import MemberError, MemberInput, create_member
from tests.conftest import make_id_number


def person() -> MemberInput:
    return MemberInput(
        name="王五",
        id_number=make_id_number(),
        phone="13700001111",
        union_card="6231660000000009999",
    )


@pytest.mark.django_db(transaction=True)
def test_m1_two_concurrent_registrations_of_one_id_create_one_member(tree, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: SQLite serialises writers, nothing races")
    data = person()
    # Both registrations pass the duplicate check before either inserts: the interleaving
    # that only the constraint can decide, every run rather than now and then.
    checked = threading.Barrier(2, timeout=30)
    passed_once = threading.local()
    check = services._refuse_duplicates

    def check_then_wait(**kwargs):
        check(**kwargs)
        if not getattr(passed_once, "done", False):
            passed_once.done = True
            checked.wait()

    monkeypatch.setattr(services, "_refuse_duplicates", check_then_wait)
    outcomes: dict[str, dict[str, str]] = {}
    lock = threading.Lock()

    def register(name: str):
        try:
            create_member(actor=None, unit=tree.hutang_union, data=data)
            result = {}
        except MemberError as exc:
            result = exc.errors
        finally:
            connections.close_all()
        with lock:
            outcomes[name] = result

    threads = [threading.Thread(target=register, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not checked.broken
    assert sorted(outcomes.values(), key=len) == [
        {},
        {"id_number": "该职工刚刚已登记：王五。"},
    ]
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_m1_registering_a_registered_person_again_names_them_once(tree):
    data = person()
    create_member(actor=None, unit=tree.hutang_union, data=data)
    with pytest.raises(MemberError) as error:
        create_member(actor=None, unit=tree.hutang_union, data=data)
    # The card is theirs: no second message saying it belongs to "the member 王五".
    assert error.value.errors == {"id_number": "该身份证号码的职工已登记：王五。"}
    assert error.value.existing["id_number"].name == "王五"
