"""The enrollment rules as plain functions: states (SPEC E2), windows (E3, P2, P3),
renewal (E4) and eligibility (M6). No database writes here."""

import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from huzhu.enrollment.models import Channel, State
from huzhu.policy.document import Policy


class EnrollmentError(Exception):
    """A refused enrollment action: a stable `code` for programs, a Chinese `message`."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# SPEC E2: where each state may go. A revoked enrollment comes back to `authorized` only
# through a new signing; `paid` and `lapsed` are final for their year.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.AUTHORIZED: frozenset({State.PAID, State.FAILED, State.REVOKED, State.LAPSED}),
    State.FAILED: frozenset({State.PAID, State.FAILED, State.REVOKED, State.LAPSED}),
    State.REVOKED: frozenset({State.AUTHORIZED}),
    State.PAID: frozenset(),
    State.LAPSED: frozenset(),
}


def state_label(state: str) -> str:
    return str(State(state).label) if state in State.values else state


def check_transition(current: str, new: str) -> None:
    """Refuse a change E2 does not allow, naming both states."""
    if new not in TRANSITIONS.get(current, frozenset()):
        raise EnrollmentError(
            "illegal_transition",
            _("An enrollment in the state “%(current)s” cannot become “%(new)s”.")
            % {"current": state_label(current), "new": state_label(new)},
        )


def chinese_date(day: datetime.date) -> str:
    """A date as the pages write dates (the locale's DATE_FORMAT: 2020年9月29日)."""
    return formats.date_format(day)


def channel_title(channel: str) -> str:
    titles = {
        Channel.ONLINE: _("Signing online"),
        Channel.PAPER: _("Paper signing"),
        Channel.RENEWAL: _("Renewal signing"),
    }
    return str(titles.get(Channel(channel), channel)) if channel in Channel.values else channel


def window_message(policy: Policy, channel: str) -> str:
    window = policy.windows[channel]
    return _("%(channel)s is open from %(start)s to %(end)s") % {
        "channel": channel_title(channel),
        "start": chinese_date(window.start),
        "end": chinese_date(window.end),
    }


def check_window(
    *, policy: Policy | None, year: int, channel: str, day: datetime.date, prior_channel: str | None
) -> None:
    """SPEC E3: a signing only inside its channel's window. `prior_channel` is the channel
    of the member's active authorization for the year, if any: someone who signed on paper
    or by renewal may also sign online until the policy's `online_after_paper_until`
    (2021: 2020-12-31, SPEC P3), which creates no second debit (E5)."""
    if channel not in Channel.values:
        raise EnrollmentError(
            "unknown_channel", _("Unknown signing channel: %(channel)s.") % {"channel": channel}
        )
    if policy is None:
        raise EnrollmentError(
            "no_policy", _("There is no policy for the scheme year %(year)s.") % {"year": year}
        )
    window = policy.windows.get(channel)
    if window is None:
        raise EnrollmentError(
            "no_window",
            _("The %(year)s policy has no window for %(channel)s.")
            % {"year": year, "channel": channel_title(channel)},
        )
    if window.start <= day <= window.end:
        return
    late = policy.online_after_paper_until
    if (
        channel == Channel.ONLINE
        and late is not None
        and prior_channel in (Channel.PAPER, Channel.RENEWAL)
        and window.start <= day <= late
    ):
        return
    raise EnrollmentError(
        "outside_window",
        _("%(window)s; %(day)s is outside it.")
        % {"window": window_message(policy, channel), "day": chinese_date(day)},
    )


def check_paper_for_new_member(
    *, policy: Policy | None, channel: str, paid_last_year: bool
) -> None:
    """2021 notice (新参保纸质签约授权): where the policy says so, paper signing is for members
    who were not in the previous year's scheme; those who were renew instead."""
    if channel == Channel.PAPER and policy is not None and policy.paper_new_members_only:
        if paid_last_year:
            raise EnrollmentError(
                "paper_for_new_members",
                _(
                    "Paper signing this year is for new members only; a member paid last "
                    "year signs by renewal (or online)."
                ),
            )


def check_eligibility(
    *, has_card: bool, card_of_other: bool, has_basic_insurance: bool, has_organizing_unit: bool
) -> None:
    """SPEC M6, in the order a member can fix them."""
    if card_of_other:
        raise EnrollmentError(
            "card_of_other_member", _("This union card belongs to another member.")
        )
    if not has_card:
        raise EnrollmentError("no_union_card", _("The member has no valid union card."))
    if not has_basic_insurance:
        raise EnrollmentError(
            "no_basic_insurance",
            _(
                "The member has no basic medical insurance and cannot join the scheme "
                "(职工医保 or 城乡居民医保 is required)."
            ),
        )
    if not has_organizing_unit:
        raise EnrollmentError(
            "no_organizing_unit", _("The member's unit is not under an organizing unit.")
        )


def check_renewal(
    *,
    previous_state: str | None,
    previous_units: tuple[int | None, int | None] | None,
    current_units: tuple[int | None, int | None],
) -> None:
    """SPEC E4: renewal only for a member paid last year in the same organizing unit and
    grassroots union as now."""
    if previous_state != State.PAID:
        raise EnrollmentError(
            "not_paid_last_year", _("Not paid in the previous year: renewal is not possible.")
        )
    if previous_units != current_units:
        raise EnrollmentError(
            "unit_changed", _("The unit has changed: please sign as a new member.")
        )


def month_after(day: datetime.date) -> datetime.date:
    """The first day of the month after `day`: when a revoked authorization of a paid
    enrollment stops."""
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
