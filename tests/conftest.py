"""Shared fixtures: a small union tree and the personas of STYLE.md.

湖塘镇's admin, a grassroots clerk under 湖塘镇, 牛塘镇's admin (who must see nothing of
湖塘镇), a district admin, an auditor, a member and another member.
"""

import itertools
import random

import pytest
import python_calamine
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts.models import User
from huzhu.accounts.roles import Role
from huzhu.members.rules import id_check_char
from huzhu.members.services import MemberInput, create_member
from huzhu.members.sms import OutboxSender
from huzhu.org.models import UnitKind
from huzhu.org.services import create_unit, district

PASSWORD = "correct horse 2022"
_serial = itertools.count(1)


def make_id_number(birth: str = "19850615", region: str = "320412") -> str:
    first17 = f"{region}{birth}{next(_serial) % 1000:03d}"
    return first17 + id_check_char(first17)


def add_member(
    unit, name="王五", phone="13700001111", union_card="6231660000000009999", id_number=None
):
    return create_member(
        actor=None,
        unit=unit,
        data=MemberInput(
            name=name, id_number=id_number or make_id_number(), phone=phone, union_card=union_card
        ),
    )


@pytest.fixture(autouse=True)
def _clean_outbox():
    OutboxSender.outbox.clear()
    yield
    OutboxSender.outbox.clear()


class Tree:
    def __init__(self):
        self.district = district()
        self.hutang = create_unit(
            actor=None, name="湖塘镇", kind=UnitKind.ORGANIZING, parent=self.district, position=9
        )
        self.niutang = create_unit(
            actor=None, name="牛塘镇", kind=UnitKind.ORGANIZING, parent=self.district, position=10
        )
        self.hutang_union = create_unit(
            actor=None, name="湖塘镇甲公司工会", kind=UnitKind.GRASSROOTS, parent=self.hutang
        )
        self.hutang_union_b = create_unit(
            actor=None, name="湖塘镇乙公司工会", kind=UnitKind.GRASSROOTS, parent=self.hutang
        )
        self.niutang_union = create_unit(
            actor=None, name="牛塘镇丙公司工会", kind=UnitKind.GRASSROOTS, parent=self.niutang
        )


@pytest.fixture
def tree(db):
    return Tree()


def make_user(username, role, unit, second_factor=False):
    user = User.objects.create_user(username=username, password=PASSWORD, role=role, unit=unit)
    if second_factor:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


@pytest.fixture
def people(tree):
    class People:
        hutang_admin = make_user("hutang", Role.ORG_ADMIN, tree.hutang)
        hutang_clerk = make_user("hutang_clerk", Role.GRASSROOTS_CLERK, tree.hutang_union)
        niutang_admin = make_user("niutang", Role.ORG_ADMIN, tree.niutang)
        district_admin = make_user("district", Role.DISTRICT_ADMIN, tree.district, True)
        auditor = make_user("auditor", Role.AUDITOR, tree.district)
        member = create_member(
            actor=None,
            unit=tree.hutang_union,
            data=MemberInput(
                name="张三",
                id_number=make_id_number(),
                phone="13812345678",
                union_card="6231660000000000001",
                employer_name="湖塘镇甲公司",
            ),
        )
        other_member = create_member(
            actor=None,
            unit=tree.niutang_union,
            data=MemberInput(
                name="李四",
                id_number=make_id_number("19900101"),
                phone="13912345678",
                union_card="6231660000000000002",
                employer_name="牛塘镇丙公司",
            ),
        )

    return People


def sign_in(client, user):
    """Sign a staff user in, with the second factor already passed where the role needs it."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def rng():
    return random.Random(20221011)


@pytest.fixture
def calamine_forbidden(monkeypatch):
    """A hostile file that reached calamine could abort the whole test process: fail the
    test instead, so a regression in the guard shows as a red test, not a dead worker."""

    def refuse(*args, **kwargs):
        raise AssertionError("a hostile workbook reached calamine")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", refuse)
