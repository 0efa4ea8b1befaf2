"""GET /api/v1/members/me/enrollments: the signed-in members' own enrollments, for the
portal's future app. The scope is the portal session (the members signed in on this phone);
numbers are masked as everywhere outside the reveal action."""

import datetime

from django.utils.translation import gettext as _
from ninja import Schema, Status

from huzhu.enrollment import rules, selectors
from huzhu.enrollment.models import Enrollment, State
from huzhu.members.selectors import signed_in_members
from huzhu.policy.selectors import current_policies
from huzhu.portal.views import SESSION_KEY

DESCRIPTION = (
    "The enrollments of every member signed in to the portal in this session (a family may "
    "share one phone), newest year first. Authenticated by the portal's session cookie; "
    "401 with `{code, message}` when no member is signed in. ID numbers are masked; "
    "`covered_from`/`covered_to` are the year's coverage when the enrollment is paid, else "
    "null. `channel` is the current authorization's (the active one, else the last ended)."
)


class ApiError(Schema):
    code: str
    message: str


class EnrollmentOut(Schema):
    year: int
    state: str
    state_label: str
    channel: str | None
    channel_label: str | None
    organizing_unit: str
    grassroots_union: str | None
    covered_from: datetime.date | None
    covered_to: datetime.date | None


class MemberEnrollments(Schema):
    member_id: int
    name: str
    id_number_masked: str
    enrollments: list[EnrollmentOut]


class MyEnrollments(Schema):
    members: list[MemberEnrollments]


def _current_channel(enrollment: Enrollment) -> str | None:
    ordered = sorted(enrollment.authorizations.all(), key=lambda a: (a.active, a.pk))
    return ordered[-1].channel if ordered else None


def _out(enrollment: Enrollment, policies) -> dict:
    channel = _current_channel(enrollment)
    policy = policies.get(enrollment.year)
    covered = enrollment.state == State.PAID and policy is not None
    return {
        "year": enrollment.year,
        "state": enrollment.state,
        "state_label": str(enrollment.get_state_display()),
        "channel": channel,
        "channel_label": rules.channel_title(channel) if channel else None,
        "organizing_unit": enrollment.organizing_unit.name,
        "grassroots_union": (
            enrollment.grassroots_union.name if enrollment.grassroots_union else None
        ),
        "covered_from": policy.coverage.start if covered else None,
        "covered_to": policy.coverage.end if covered else None,
    }


def my_enrollments(request) -> Status:
    members = signed_in_members(member_ids=request.session.get(SESSION_KEY) or [])
    if not members:
        return Status(
            401,
            {
                "code": "not_signed_in",
                "message": _("Sign in to the member portal with your phone number first."),
            },
        )
    policies = current_policies()
    rows = selectors.own_enrollments(members=members)
    return Status(
        200,
        {
            "members": [
                {
                    "member_id": member.pk,
                    "name": member.name,
                    "id_number_masked": member.id_number_masked,
                    "enrollments": [_out(e, policies) for e in rows if e.member_id == member.pk],
                }
                for member in sorted(members, key=lambda m: m.pk)
            ]
        },
    )
