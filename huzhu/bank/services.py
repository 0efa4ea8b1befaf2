"""Receiving a verified bank notice (SPEC §7a): accepted, refused (kept) or duplicate.

The notice row is inserted first, inside the request's transaction: a second delivery of
the same `notice_id` meets the unique constraint (on PostgreSQL it waits for the first
delivery's commit) and is answered `duplicate` with nothing changed. The notice's effect
runs in a savepoint; a refusal undoes the effect and keeps the row as `refused`.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from huzhu.bank.adapters import Notice
from huzhu.bank.models import BankNotice, Outcome
from huzhu.enrollment import rules
from huzhu.enrollment import services as enrollment_services
from huzhu.enrollment.models import Channel, Enrollment, Source, State
from huzhu.enrollment.rules import EnrollmentError
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.members.rules import InvalidValue, clean_id_number
from huzhu.members.services import (
    MemberError,
    MemberInput,
    MemberUpdate,
    NothingChanged,
    create_member,
    update_member,
)
from huzhu.org.models import Unit, UnitKind
from huzhu.payments import services as payment_services
from huzhu.policy.selectors import current_policies

SECRET_FIELDS = ("id_number", "phone", "union_card")


def mask(value: object) -> str:
    text = str(value)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def masked_body(notice: Notice) -> dict:
    body = dict(notice.raw)
    person = body.get("member")
    if isinstance(person, dict):
        body["member"] = {
            key: mask(value) if key in SECRET_FIELDS else value for key, value in person.items()
        }
    return body


@dataclass(frozen=True)
class Received:
    status: str  # accepted, refused, duplicate
    code: str = ""
    message: str = ""
    enrollment: Enrollment | None = None
    member: Member | None = None


def _find_member(id_number: str) -> Member | None:
    try:
        clean = clean_id_number(id_number)
    except InvalidValue as exc:
        raise EnrollmentError("invalid_id_number", exc.message) from exc
    return Member.objects.filter(id_number_hash=crypto.lookup_hash("id", clean)).first()


def _known_member(notice: Notice) -> Member | None:
    try:
        return _find_member(notice.member["id_number"])
    except EnrollmentError:
        return None


def _organizing_unit(town: str) -> Unit:
    unit = Unit.objects.filter(kind=UnitKind.ORGANIZING, name=town).first()
    if unit is None:
        raise EnrollmentError(
            "unknown_organizing_unit",
            _("There is no organizing unit named “%(town)s”.") % {"town": town},
        )
    return unit


def _update_from_notice(notice: Notice, member: Member) -> None:
    """A signing of a known member: the details the bank form carries replace the record's
    where they differ (name, phone, union card, employer, insurance), with a history row
    naming the notice. The unit stays: the form's town is what the member typed, the union
    keeps the member where it placed them (docs/decisions.md)."""
    person = notice.member
    try:
        update_member(
            actor=None,
            member=member,
            label=_("Bank notice %(id)s") % {"id": notice.notice_id},
            data=MemberUpdate(
                name=person["name"],
                phone=person["phone"],
                union_card=person["union_card"],
                employer_name=person["employer"],
                has_basic_insurance=person["has_basic_insurance"],
                insurance_scope=person["insurance_scope"],
            ),
        )
    except NothingChanged:
        return
    except MemberError as exc:
        if "union_card" in exc.errors:
            # SPEC M4, M6: the card is another member's (the message would name them).
            raise EnrollmentError(
                "card_of_other_member", _("This union card belongs to another member.")
            ) from exc
        first = next(iter(exc.errors.values()), "")
        raise EnrollmentError("invalid_member", str(first)) from exc


def _note_other_town(notice: Notice, member: Member) -> None:
    """A known member whose notice names another town than their organizing unit is signed
    where they are; the accepted notice keeps the difference for the union to follow up."""
    place = enrollment_services.placement_of(member)
    town = notice.member["town"]
    if place.organizing_unit is None or place.organizing_unit.name == town:
        return
    BankNotice.objects.filter(notice_id=notice.notice_id).update(
        code="other_town",
        message=(
            _("The notice names %(town)s; the member stays in %(unit)s.")
            % {"town": town, "unit": place.organizing_unit.name}
        )[:300],
    )


def _signing(notice: Notice) -> tuple[Member, Enrollment]:
    person = notice.member
    # SPEC M6: a "no" on the bank form is refused before anything is written.
    rules.check_eligibility(
        has_card=True,
        card_of_other=False,
        has_basic_insurance=person["has_basic_insurance"],
        has_organizing_unit=True,
    )
    member = _find_member(person["id_number"])
    if member is not None:
        _update_from_notice(notice, member)
        _note_other_town(notice, member)
    else:
        # The bank form names the town and the employer, not the grassroots union: the new
        # member is held under the organizing unit until its admin assigns a union.
        town = _organizing_unit(person["town"])
        try:
            member = create_member(
                actor=None,
                unit=town,
                data=MemberInput(
                    name=person["name"],
                    id_number=person["id_number"],
                    phone=person["phone"],
                    union_card=person["union_card"],
                    employer_name=person["employer"],
                    has_basic_insurance=person["has_basic_insurance"],
                    insurance_scope=person["insurance_scope"],
                ),
                holding=True,
            )
        except MemberError as exc:
            first = next(iter(exc.errors.values()), "")
            raise EnrollmentError("invalid_member", str(first)) from exc
    signed = enrollment_services.sign(
        member=member,
        year=notice.year,
        channel=Channel.ONLINE,
        signed_on=notice.shanghai_date,
        source=Source.BANK_NOTICE,
        actor=None,
        union_card=person["union_card"],
    )
    return member, signed.enrollment


def _revocation(notice: Notice) -> tuple[Member, Enrollment]:
    member = _find_member(notice.member["id_number"])
    if member is None:
        raise EnrollmentError("unknown_member", _("No member holds this ID number."))
    revoked = enrollment_services.revoke(
        member=member,
        year=notice.year,
        actor=None,
        source=Source.BANK_NOTICE,
        on=notice.shanghai_date,
    )
    return member, revoked.enrollment


def _payment(notice: Notice) -> tuple[Member, Enrollment]:
    """SPEC D2, D7: the member's enrollment of the year becomes paid (or, already paid, a
    refund is recorded); a wrong amount, no enrollment, or a revoked or lapsed one is
    refused and kept for follow-up."""
    member = _find_member(notice.member["id_number"])
    enrollment = (
        Enrollment.objects.select_for_update().filter(member=member, year=notice.year).first()
        if member is not None
        else None
    )
    if member is None or enrollment is None:
        raise EnrollmentError(
            "no_enrollment",
            _("No enrollment for %(year)s holds this ID number.") % {"year": notice.year},
        )
    policy = current_policies().get(notice.year)
    amount = notice.member["amount"]
    if policy is None or amount != policy.fee:
        raise EnrollmentError(
            "wrong_amount",
            _("The amount paid, %(amount)s yuan, is not the year's fee.") % {"amount": amount},
        )
    if enrollment.state in (State.REVOKED, State.LAPSED):
        raise EnrollmentError(
            f"enrollment_{enrollment.state}",
            _("The enrollment is “%(state)s”; the payment waits for follow-up.")
            % {"state": rules.state_label(enrollment.state)},
        )
    payment_services.record_self_payment(
        enrollment=enrollment,
        transaction_id=notice.member["transaction_id"],
        amount=amount,
        paid_at=notice.occurred_at,
        notice=BankNotice.objects.get(notice_id=notice.notice_id),
    )
    enrollment.refresh_from_db()
    return member, enrollment


HANDLERS = {"signing": _signing, "revocation": _revocation, "payment": _payment}


def receive(*, notice: Notice, raw_body: bytes) -> Received:
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = BankNotice.objects.create(
                    notice_id=notice.notice_id,
                    type=notice.type,
                    year=notice.year,
                    occurred_at=notice.occurred_at,
                    outcome=Outcome.ACCEPTED,
                    body_masked=masked_body(notice),
                    body_encrypted=crypto.encrypt(raw_body.decode("utf-8")),
                )
        except IntegrityError:
            return Received("duplicate")
        try:
            with transaction.atomic():
                member, enrollment = HANDLERS[notice.type](notice)
        except payment_services.DuplicateTransaction:
            # SPEC D2: the same bank transaction under another notice id changes nothing.
            row.code = "duplicate_transaction"
            row.member = _known_member(notice)
            row.save(update_fields=["code", "member"])
            return Received("duplicate")
        except EnrollmentError as exc:
            row.outcome = Outcome.REFUSED
            row.code = exc.code[:50]
            row.message = exc.message[:300]
            # A member already registered is linked, to ease the follow-up.
            row.member = _known_member(notice)
            row.save(update_fields=["outcome", "code", "message", "member"])
            return Received("refused", exc.code, exc.message)
        row.member = member
        row.enrollment = enrollment
        row.save(update_fields=["member", "enrollment"])
    return Received("accepted", enrollment=enrollment, member=member)
