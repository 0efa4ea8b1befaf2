"""Enrolled members for the roster export and authorization form tests."""

import datetime

from huzhu.enrollment import services as enrollment_services
from tests.conftest import add_member

SIGNED = datetime.date(2021, 11, 1)  # inside 2022's paper window


def enroll(member, year=2022):
    return enrollment_services.sign(
        member=member, year=year, channel="paper", signed_on=SIGNED, source="console", actor=None
    ).enrollment


def enrolled_roster(tree, people):
    """张三 (湖塘镇甲公司工会), 王五 with an employer that looks like a formula (乙公司工会),
    李四 (牛塘镇), all enrolled for 2022; 赵六 (甲公司工会) enrolled then revoked."""
    wang = add_member(
        tree.hutang_union_b, name="王五", phone="13700001111", union_card="6231660000000009991"
    )
    wang.employer_name = '=HYPERLINK("http://x.example","点我")'
    wang.save(update_fields=["employer_name"])
    zhao = add_member(
        tree.hutang_union, name="赵六", phone="13700002222", union_card="6231660000000009992"
    )
    enrollments = [enroll(people.member), enroll(wang), enroll(people.other_member)]
    enroll(zhao)
    enrollment_services.revoke(
        member=zhao,
        year=2022,
        actor=None,
        source="console",
        reason="本人撤销",
        on=datetime.date(2021, 11, 2),
    )
    return enrollments
