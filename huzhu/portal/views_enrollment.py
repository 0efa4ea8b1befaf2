"""我的参保: the signed-in member's enrollments, renewal in one action (SPEC E4),
revocation with a confirmation step (解约), and online signing handed over to the simulated
bank when the demo's HUZHU_SIMULATED_BANK is on."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from huzhu.bank import simulated_bank
from huzhu.dates import scheme_today
from huzhu.enrollment import rules, selectors, services
from huzhu.enrollment.models import Authorization, Channel, Enrollment, Source, State
from huzhu.enrollment.rules import EnrollmentError
from huzhu.members import crypto
from huzhu.payments.feedback import Failure, member_failures
from huzhu.policy.document import Policy
from huzhu.policy.selectors import current_policies
from huzhu.portal.views import member_view


@dataclass(frozen=True)
class Row:
    enrollment: Enrollment
    title: str
    next_step: str
    revocable: bool


def _row(enrollment: Enrollment, policy: Policy | None, failure: Failure | None) -> Row:
    state = enrollment.state
    active = any(a.active for a in enrollment.authorizations.all())
    if failure is not None and state == State.AUTHORIZED:
        # No union card on file: no batch can take it (SPEC D8).
        title = _("Signed, but the fee cannot be deducted")
        step = failure.advice
    elif state == State.AUTHORIZED:
        title = _("Signed, awaiting deduction")
        step = _("The fee will be deducted from your bank card; keep enough money on it.")
    elif state == State.PAID:
        if policy is not None:
            title = _("Paid, covered from %(start)s to %(end)s") % {
                "start": rules.chinese_date(policy.coverage.start),
                "end": rules.chinese_date(policy.coverage.end),
            }
        else:
            title = _("Paid")
        step = _("You are covered. Nothing to do.")
    elif state == State.FAILED:
        title = _("Deduction failed")
        if failure is not None:
            step = _("The bank's reason: %(reason)s. %(advice)s") % {
                "reason": failure.reason,
                "advice": failure.advice,
            }
        else:
            step = _("Contact your union to find out why.")
    elif state == State.REVOKED:
        title = _("Revoked")
        step = _("You are not covered for this year. You may sign again inside the window.")
    else:
        title = _("Lapsed")
        step = _("The deduction was not made in time: this year is not covered.")
    return Row(enrollment, title, step, active)


@dataclass(frozen=True)
class Renewal:
    member_id: int
    member_name: str
    year: int
    window: str


def _open_windows(policies: dict[int, Policy], today: datetime.date) -> list[tuple[int, str]]:
    return [
        (year, channel)
        for year, policy in sorted(policies.items())
        for channel, window in policy.windows.items()
        if window.start <= today <= window.end
    ]


def _next_window(policies: dict[int, Policy], today: datetime.date) -> datetime.date | None:
    starts = [w.start for p in policies.values() for w in p.windows.values() if w.start > today]
    return min(starts) if starts else None


def _renewals(request, policies, today, held: set[tuple[int, int]]) -> list[Renewal]:
    """Where E4 allows one-tap renewal now: a renewal window is open for the year, the
    member holds no enrollment of it yet (or a revoked one), and was paid in the previous
    year in the unit they are in now. Judged by the same rule the service applies."""
    found = []
    for year, channel in _open_windows(policies, today):
        if channel != Channel.RENEWAL:
            continue
        for member in request.members:
            if (member.pk, year) in held:
                continue
            try:
                services.check_renewable(member=member, year=year)
            except EnrollmentError:
                continue
            found.append(
                Renewal(member.pk, member.name, year, rules.window_message(policies[year], channel))
            )
    return found


@dataclass(frozen=True)
class OnlineOffer:
    member_id: int
    member_name: str
    year: int


def _online_offers(request, policies, today) -> list[OnlineOffer]:
    """Where the online window of a year is open and the member holds no active
    authorization for it: the 网上签约 hand-over to the (simulated) bank."""
    if not settings.HUZHU_SIMULATED_BANK:
        return []
    years = [y for y, channel in _open_windows(policies, today) if channel == Channel.ONLINE]
    active = set(
        Authorization.objects.filter(
            enrollment__member__in=request.members, enrollment__year__in=years, active=True
        ).values_list("enrollment__member_id", "enrollment__year")
    )
    return [
        OnlineOffer(member.pk, member.name, year)
        for year in years
        for member in request.members
        if (member.pk, year) not in active
    ]


@require_http_methods(["GET"])
@member_view
def enrollments(request):
    policies = current_policies()
    today = scheme_today()
    rows = selectors.own_enrollments(members=request.members)
    held = {(e.member_id, e.year) for e in rows if e.state != State.REVOKED}
    failures = member_failures(rows)
    open_windows = _open_windows(policies, today)
    next_start = _next_window(policies, today) if not open_windows else None
    return render(
        request,
        "portal/enrollments.html",
        {
            "members": request.members,
            "tab": "enrollments",
            "rows": [_row(e, policies.get(e.year), failures.get(e.pk)) for e in rows],
            "renewals": _renewals(request, policies, today, held),
            "online_offers": _online_offers(request, policies, today),
            "open_windows": [rules.window_message(policies[y], c) for y, c in open_windows],
            "next_start": rules.chinese_date(next_start) if next_start else "",
            "outside": not open_windows,
            "error": request.session.pop("enrollment_error", ""),
            "notice": request.session.pop("enrollment_notice", ""),
        },
    )


def _member(request, value: str | None):
    for member in request.members:
        if value and str(member.pk) == value:
            return member
    raise Http404


@require_POST
@member_view
def renew(request):
    member = _member(request, request.POST.get("member"))
    year = request.POST.get("year", "")
    if not (year.isascii() and year.isdigit() and len(year) == 4):
        raise Http404
    try:
        services.renew(
            member=member,
            year=int(year),
            actor=None,
            source=Source.PORTAL,
            signed_on=scheme_today(),
            request=request,
        )
    except EnrollmentError as exc:
        request.session["enrollment_error"] = exc.message
    else:
        request.session["enrollment_notice"] = _("Renewed for %(year)s.") % {"year": year}
    return redirect("portal:enrollments")


@require_http_methods(["GET", "POST"])
@member_view
def revoke(request, pk: int):
    enrollment = selectors.own_enrollment(members=request.members, pk=pk)
    active = Authorization.objects.filter(enrollment=enrollment, active=True).exists()
    if request.method == "POST" and active:
        try:
            done = services.revoke(
                member=enrollment.member,
                year=enrollment.year,
                actor=None,
                source=Source.PORTAL,
                on=scheme_today(),
                request=request,
            )
        except EnrollmentError as exc:
            request.session["enrollment_error"] = exc.message
        else:
            request.session["enrollment_notice"] = done.message
        return redirect("portal:enrollments")
    if not active:
        return redirect("portal:enrollments")
    paid = enrollment.state == State.PAID
    ends = rules.month_after(scheme_today()) if paid else None
    return render(
        request,
        "portal/revoke.html",
        {
            "members": request.members,
            "tab": "enrollments",
            "enrollment": enrollment,
            "paid": paid,
            "ends": rules.chinese_date(ends) if ends else "",
        },
    )


def _bank_form(member) -> dict:
    """The member's details as the bank's form sends them (SPEC §7a), numbers decrypted
    here on the server; the page shows only the masked ones."""
    placement = services.placement_of(member)
    return {
        "name": member.name,
        "id_number": crypto.decrypt(member.id_number_encrypted),
        "phone": crypto.decrypt(member.phone_encrypted) if member.phone_encrypted else "",
        "union_card": (
            crypto.decrypt(member.union_card_encrypted) if member.union_card_encrypted else ""
        ),
        "town": placement.organizing_unit.name if placement.organizing_unit else "",
        "employer": member.employer_name,
        "has_basic_insurance": member.has_basic_insurance,
        "insurance_scope": member.insurance_scope,
    }


@require_http_methods(["GET", "POST"])
@member_view
def bank_signing(request, member_id: int, year: int):
    """The simulated bank app's 工会互助 signing: 确认签约 builds the signing notice a real
    bank would send, signs it with the bank secret and delivers it through the notice
    endpoint's own view (HMAC check included)."""
    if not settings.HUZHU_SIMULATED_BANK:
        raise Http404
    member = _member(request, str(member_id))
    if not 2000 <= year <= 2100:
        raise Http404
    error = ""
    if request.method == "POST":
        notice = simulated_bank.signing_notice(
            year=year,
            occurred_at=simulated_bank.occurred_at(scheme_today()),
            member=_bank_form(member),
        )
        status, answer = simulated_bank.deliver(notice, settings.HUZHU_BANK_SECRET)
        if status == 200:
            request.session["enrollment_notice"] = _(
                "The bank confirmed the signing for %(year)s."
            ) % {"year": year}
            return redirect("portal:enrollments")
        error = answer.get("message") or _("The bank could not complete the signing.")
    return render(
        request,
        "portal/bank_signing.html",
        {"member": member, "year": year, "error": error},
    )
