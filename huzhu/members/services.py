"""Writes to members: every change in one transaction with its audit row."""

import hmac
import math
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu import ratelimit
from huzhu.accounts.access import scoped
from huzhu.accounts.models import User
from huzhu.accounts.roles import can_view_full_identity
from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.members import crypto
from huzhu.members.models import (
    ChangeKind,
    CorrectionField,
    CorrectionRequest,
    CorrectionStatus,
    InsuranceScope,
    LoginCode,
    Member,
    MemberChange,
)
from huzhu.members.rules import (
    InvalidValue,
    MemberSearch,
    SearchKind,
    clean_id_number,
    clean_name,
    clean_phone,
    clean_union_card,
    mask_card,
    mask_id_number,
    mask_phone,
)
from huzhu.members.selectors import members_with_number
from huzhu.members.sms import send_sms
from huzhu.org.models import Unit, UnitKind

# The key of a message that belongs to no single field.
NON_FIELD = "__all__"


class MemberError(Exception):
    """Field name → Chinese message, for a form or a roster row.

    `existing`: field name → the member in the user's scope already holding that number
    (the page links to them); `status`: 429 when the number lookups of the hour are spent."""

    def __init__(
        self,
        errors: dict[str, str],
        *,
        existing: dict[str, "Member"] | None = None,
        status: int = 200,
    ):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.existing = existing or {}
        self.status = status


@dataclass(frozen=True)
class MemberInput:
    name: str
    id_number: str
    phone: str
    union_card: str
    employer_name: str = ""
    has_basic_insurance: bool = True
    insurance_scope: str = InsuranceScope.JIANGSU


def clean_member_input(data: MemberInput) -> tuple[dict[str, str], dict[str, str]]:
    """(clean values, errors) — every field checked, so all problems show at once."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    checks: dict[str, tuple[Callable[[str], str], str]] = {
        "name": (clean_name, data.name),
        "id_number": (clean_id_number, data.id_number),
        "phone": (clean_phone, data.phone),
        "union_card": (clean_union_card, data.union_card),
    }
    for field, (clean, raw) in checks.items():
        try:
            cleaned[field] = clean(raw)
        except InvalidValue as exc:
            errors[field] = exc.message
    if data.insurance_scope not in InsuranceScope.values:
        errors["insurance_scope"] = _("Unknown insurance scope.")
    return cleaned, errors


def _identity_fields(cleaned: dict[str, str]) -> dict[str, str]:
    return {
        "id_number_encrypted": crypto.encrypt(cleaned["id_number"]),
        "id_number_hash": crypto.lookup_hash("id", cleaned["id_number"]),
        "id_number_masked": mask_id_number(cleaned["id_number"]),
        "phone_encrypted": crypto.encrypt(cleaned["phone"]),
        "phone_hash": crypto.lookup_hash("phone", cleaned["phone"]),
        "phone_masked": mask_phone(cleaned["phone"]),
        "union_card_encrypted": crypto.encrypt(cleaned["union_card"]),
        "union_card_hash": crypto.lookup_hash("card", cleaned["union_card"]),
        "union_card_masked": mask_card(cleaned["union_card"]),
    }


def create_member(
    *, actor: Actor, unit: Unit, data: MemberInput, request=None, holding: bool = False
) -> Member:
    """Register a member under a grassroots union (or an employer below one).

    `holding`: a member who signed online through the bank names only a town (SPEC §7a);
    they are held under that organizing unit until its admin assigns a union."""
    allowed = (UnitKind.GRASSROOTS, UnitKind.EMPLOYER) + ((UnitKind.ORGANIZING,) if holding else ())
    if unit.kind not in allowed:
        raise MemberError({"unit": _("Members belong to a grassroots union.")})
    cleaned, errors = clean_member_input(data)
    if errors:
        raise MemberError(errors)
    fields = _identity_fields(cleaned)
    _refuse_duplicates(actor=actor, fields=fields, request=request)
    try:
        with transaction.atomic():
            member = Member.objects.create(
                name=cleaned["name"],
                unit=unit,
                unit_path=unit.path,
                employer_name=data.employer_name.strip(),
                has_basic_insurance=data.has_basic_insurance,
                insurance_scope=data.insurance_scope,
                **fields,
            )
            # The kept count moves with the row, in the same transaction (org.Unit).
            Unit.objects.filter(pk=unit.pk).update(member_count=F("member_count") + 1)
            record_event(
                action=Action.MEMBER_CREATE,
                actor=actor,
                target=member,
                request=request,
                summary=f"{member.name} {member.id_number_masked}",
            )
    except IntegrityError:
        # Two registrations of the same numbers passed the check above together, and the
        # constraint let the other one in. It has committed: check again, so that this one
        # gets the answer of a later submission (the member named when in scope, nothing
        # named elsewhere), saying it happened just now.
        _refuse_duplicates(actor=actor, fields=fields, request=request, just_now=True)
        # Nobody holds the numbers any more (the other registration was undone meanwhile).
        raise MemberError(
            {"id_number": _("A member with this ID number or union card already exists.")}
        ) from None
    return member


def _in_scope_messages(holder: Member, *, just_now: bool = False) -> dict[str, str]:
    registered = (
        _("This person was registered just now: %(name)s.")
        if just_now
        else _("A member with this ID number is already registered: %(name)s.")
    )
    return {
        "id_number": registered % {"name": holder.name},
        # SPEC M4: one union card belongs to one member.
        "union_card": _("This union card already belongs to the member %(name)s.")
        % {"name": holder.name},
    }


def _elsewhere_messages() -> dict[str, str]:
    # Nothing about the other unit or member: a clerk must not learn who is registered
    # where by trying numbers on this form.
    return {
        "id_number": _("This ID number is registered in another unit. Contact the district union."),
        "union_card": _(
            "This union card is registered to a member of another unit. Contact the district union."
        ),
    }


def _refuse_duplicates(
    *,
    actor: Actor,
    fields: dict[str, str],
    request=None,
    just_now: bool = False,
    checks: tuple[tuple[str, str], ...] = (("id_number", "id"), ("union_card", "card")),
    exclude_pk: int | None = None,
) -> None:
    """SPEC M1, M4: one member per ID number, one member per union card.

    A number held in the user's own scope is named with its member (they can open them
    anyway); when one member holds both the ID number and the card, the person is already
    registered and that is the one answer (their card does not "belong to another
    member"). One held elsewhere would make this form a district-wide lookup of full numbers
    (SPEC S2): it is answered without naming anything of the other unit, costs one lookup
    of the hour the search by full number counts too, and is audited with the masked
    number; once the hour's lookups are spent the registration is refused. `just_now`: the
    check after losing a race to a registration of the same numbers. `checks` and
    `exclude_pk`: an edit of a member checks only the card, against everyone else."""
    errors: dict[str, str] = {}
    existing: dict[str, Member] = {}
    seen: set[int] = set()
    spent = None
    for field, kind in checks:
        holders = Member.objects.filter(**{f"{field}_hash": fields[f"{field}_hash"]})
        if exclude_pk is not None:
            holders = holders.exclude(pk=exclude_pk)
        holder = holders.only("pk", "name", "unit_path").first()
        if holder is None:
            continue
        if field == "union_card" and holder.pk in seen:
            continue  # the same member holds the ID number: answered above
        seen.add(holder.pk)
        if actor is None or _in_scope(actor, holder):
            errors[field] = _in_scope_messages(holder, just_now=just_now)[field]
            existing[field] = holder
            continue
        verdict = _count_number_lookup(actor)
        with transaction.atomic():
            record_event(
                action=Action.MEMBER_NUMBER_ELSEWHERE,
                actor=actor,
                request=request,
                unit_path=actor.unit_path,
                summary=fields[f"{field}_masked"],
                data={
                    "kind": kind,
                    "masked": fields[f"{field}_masked"],
                    "member": holder.pk,
                    "unit_path": holder.unit_path,
                    "allowed": verdict.allowed,
                },
            )
        if verdict.allowed:
            errors[field] = _elsewhere_messages()[field]
        else:
            spent = verdict
    if spent is not None:
        raise MemberError(
            {
                NON_FIELD: _(
                    "Too many full numbers were looked up this hour (searches, and "
                    "registrations of numbers registered in other units): try again in "
                    "%(minutes)s minutes."
                )
                % {"minutes": math.ceil(spent.retry_after / 60)}
            },
            status=429,
        )
    if errors:
        raise MemberError(errors, existing=existing)


def _in_scope(actor: User, holder: Member) -> bool:
    # Asked of the database with the scope every list uses (accounts.access.scoped).
    return scoped(Member.objects.filter(pk=holder.pk), actor, "unit_path").exists()


class RevealRefused(Exception):
    pass


def reveal_identity(*, actor: Actor, member: Member, request=None) -> dict[str, str]:
    """The clear ID, phone and card numbers; each call is written to the audit log (S2),
    and so is a refusal (a role that may not see full numbers). `actor=None` is the system."""
    if actor is not None and not can_view_full_identity(actor.role):
        with transaction.atomic():
            record_event(
                action=Action.MEMBER_REVEAL_REFUSED,
                actor=actor,
                target=member,
                request=request,
                summary=f"{member.name} {member.id_number_masked}",
            )
        raise RevealRefused
    with transaction.atomic():
        record_event(
            action=Action.MEMBER_REVEAL,
            actor=actor,
            target=member,
            request=request,
            summary=f"{member.name} {member.id_number_masked}",
        )
    return {
        "id_number": crypto.decrypt(member.id_number_encrypted),
        "phone": crypto.decrypt(member.phone_encrypted) if member.phone_encrypted else "",
        "union_card": (
            crypto.decrypt(member.union_card_encrypted) if member.union_card_encrypted else ""
        ),
    }


class SearchRefused(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


# A phone shared by a family finds a few members, an ID one; more is not a search result.
NUMBER_SEARCH_LIMIT = 50


def _count_number_lookup(actor: User) -> ratelimit.Verdict:
    """One lookup of a full number by `actor`: the search, and a registration that meets a
    number of another unit, share the hour's allowance (SPEC S2)."""
    return ratelimit.hit(
        f"member-search-number:{actor.pk}",
        limit=settings.HUZHU_NUMBER_SEARCHES_PER_HOUR,
        window=3600,
    )


def refuse_number_search(*, actor: User, search: MemberSearch, reason: str, request=None) -> None:
    """Write a refused search by full number to the audit log, with the masked number only:
    an oracle attempt leaves a trace. `reason`: role, address or throttled."""
    with transaction.atomic():
        record_event(
            action=Action.MEMBER_SEARCH_NUMBER_REFUSED,
            actor=actor,
            request=request,
            unit_path=actor.unit_path,
            summary=search.masked,
            data={
                "kind": "id" if search.kind == SearchKind.FULL_ID else "phone",
                "masked": search.masked,
                "reason": reason,
            },
        )


def search_by_full_number(*, actor: User, search: MemberSearch, request=None) -> list[Member]:
    """SPEC S2: a full ID or phone number, only for roles that may see full numbers,
    rate-limited per user and written to the audit log with the masked number (refusals
    too)."""
    if not search.is_full_number:
        raise ValueError("not a full number")
    if not can_view_full_identity(actor.role):
        refuse_number_search(actor=actor, search=search, reason="role", request=request)
        raise SearchRefused(
            _(
                "Your role may not search by full ID or phone number. Search by name or by "
                "the last four digits of an ID or mobile number."
            ),
            403,
        )
    verdict = _count_number_lookup(actor)
    if not verdict.allowed:
        refuse_number_search(actor=actor, search=search, reason="throttled", request=request)
        raise SearchRefused(
            _("Too many searches by full number: try again in %(minutes)s minutes.")
            % {"minutes": math.ceil(verdict.retry_after / 60)},
            429,
        )
    with transaction.atomic():
        holding = members_with_number(user=actor, search=search)
        found = list(holding.order_by("id")[:NUMBER_SEARCH_LIMIT])
        record_event(
            action=Action.MEMBER_SEARCH_NUMBER,
            actor=actor,
            request=request,
            unit_path=actor.unit_path,
            summary=f"{search.masked} ({len(found)})",
            data={
                "kind": "id" if search.kind == SearchKind.FULL_ID else "phone",
                "masked": search.masked,
                "found": [m.pk for m in found],
            },
        )
    return found


# --- member sign-in with a one-time code -------------------------------------------------


class SignInError(Exception):
    @property
    def message(self) -> str:
        return str(self.args[0])


def _code_hash(phone_hash: str, code: str) -> str:
    return crypto.lookup_hash("otp", f"{phone_hash}:{code}")


def request_login_code(*, phone: str, ip: str | None) -> None:
    """Send a code to a registered phone. An unknown phone gets the same answer and no
    message, so the form does not reveal who is a member."""
    try:
        phone = clean_phone(phone)
    except InvalidValue as exc:
        raise SignInError(exc.message) from None
    phone_hash = crypto.lookup_hash("phone", phone)
    now = timezone.now()
    with transaction.atomic():
        recent = LoginCode.objects.filter(
            phone_hash=phone_hash, created_at__gte=now - timedelta(hours=1)
        )
        latest = recent.order_by("-created_at").first()
        wait = settings.HUZHU_OTP_RESEND_SECONDS
        if latest and (now - latest.created_at).total_seconds() < wait:
            raise SignInError(
                _("A code was sent less than a minute ago: please wait before asking again.")
            )
        if recent.count() >= settings.HUZHU_OTP_PER_HOUR or (
            ip
            and LoginCode.objects.filter(ip=ip, created_at__gte=now - timedelta(hours=1)).count()
            >= 30
        ):
            raise SignInError(_("Too many codes were requested: please try again in an hour."))
        code = f"{secrets.randbelow(10**6):06d}"
        LoginCode.objects.create(
            phone_hash=phone_hash,
            code_hash=_code_hash(phone_hash, code),
            ip=ip,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.HUZHU_OTP_TTL_SECONDS),
        )
        if Member.objects.filter(phone_hash=phone_hash).exists():
            text = _(
                "Your sign-in code for the Wujin mutual-aid scheme is %(code)s, "
                "valid for 5 minutes. Do not tell it to anyone."
            ) % {"code": code}
            transaction.on_commit(lambda: send_sms(phone, text))


def verify_login_code(*, phone: str, code: str, request=None) -> list[Member]:
    """The members registered with this phone, once the code is right."""
    try:
        phone = clean_phone(phone)
    except InvalidValue as exc:
        raise SignInError(exc.message) from None
    phone_hash = crypto.lookup_hash("phone", phone)
    wrong = SignInError(_("The code is wrong or has expired."))
    with transaction.atomic():
        login = (
            LoginCode.objects.select_for_update()
            .filter(phone_hash=phone_hash, used_at=None, expires_at__gt=timezone.now())
            .order_by("-created_at")
            .first()
        )
        if login is None or login.attempts >= settings.HUZHU_OTP_MAX_ATTEMPTS:
            raise wrong
        matched = hmac.compare_digest(login.code_hash, _code_hash(phone_hash, code.strip()))
        # A wrong try is counted and committed before the error leaves this block.
        if matched:
            login.used_at = timezone.now()
            login.save(update_fields=["used_at"])
        else:
            login.attempts += 1
            login.save(update_fields=["attempts"])
        members = list(Member.objects.filter(phone_hash=phone_hash)) if matched else []
        for member in members:
            record_event(
                action=Action.MEMBER_SIGN_IN, member=member, target=member, request=request
            )
    if not members:
        raise wrong
    return members


def repair_member_counts() -> int:
    """Set every unit's kept member count to its members (after a load that bypassed the
    services, or a restore of an older backup); returns how many units changed. Rows are
    locked so that a registration running meanwhile is not lost."""
    from huzhu.members.selectors import member_count_drift

    with transaction.atomic():
        list(Unit.objects.select_for_update().order_by("pk").values_list("pk"))
        drift = member_count_drift()
        for unit_id, (_kept, counted) in drift.items():
            Unit.objects.filter(pk=unit_id).update(member_count=counted)
    return len(drift)


# --- member records over time ------------------------------------------------------------

# SPEC M1: one record per ID number; a wrong ID number is a new registration, not an edit.
EDITABLE_FIELDS = (
    "name",
    "phone",
    "union_card",
    "employer_name",
    "has_basic_insurance",
    "insurance_scope",
)
# A member may have this many correction requests waiting at once.
OPEN_CORRECTIONS_PER_MEMBER = 5
CORRECTION_TEXT_MAX = 200
# A full ID number or mobile number inside a correction's free text, once spaces, dashes and
# full-width digits are set aside: the text is shown in clear to staff, so it must not carry
# full numbers (SPEC S2); the union checks the documents instead.
FULL_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")
FULL_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
REASON_MAX = 200


@dataclass(frozen=True)
class MemberUpdate:
    """A member's details as staff type them on the edit form (everything but the ID).
    `phone` and `union_card` empty: unchanged (the form does not show them in clear)."""

    name: str
    phone: str
    union_card: str
    employer_name: str = ""
    has_basic_insurance: bool = True
    insurance_scope: str = InsuranceScope.JIANGSU


class NothingChanged(MemberError):
    """An edit that changes nothing."""


def _actor_label(actor: Actor) -> str:
    return actor.get_username() if actor is not None else "system"


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def update_member(
    *,
    actor: Actor,
    member: Member,
    data: MemberUpdate,
    request=None,
    correction: CorrectionRequest | None = None,
    label: str = "",
) -> MemberChange:
    """Change a member's details: the same checks as a registration (rules.py; the union
    card held by no other member, with the same answers in and out of scope), one history
    row with numbers masked, one audit row. `correction`: an open request of this member
    that the change answers; it is marked confirmed in the same transaction. `label`: who
    the history names when the change comes from no user (a bank notice); else the user."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    checks: dict[str, tuple[Callable[[str], str], str]] = {"name": (clean_name, data.name)}
    # A number left empty stays as it is: the form never shows numbers in clear.
    if str(data.phone or "").strip():
        checks["phone"] = (clean_phone, data.phone)
    if str(data.union_card or "").strip():
        checks["union_card"] = (clean_union_card, data.union_card)
    for field, (clean, raw) in checks.items():
        try:
            cleaned[field] = clean(raw)
        except InvalidValue as exc:
            errors[field] = exc.message
    employer = data.employer_name.strip()
    if len(employer) > 100:
        errors["employer_name"] = _("An employer name has at most 100 characters.")
    if data.insurance_scope not in InsuranceScope.values:
        errors["insurance_scope"] = _("Unknown insurance scope.")
    if correction is not None and (
        correction.member_id != member.pk or correction.status != CorrectionStatus.OPEN
    ):
        errors[NON_FIELD] = _("This correction request is no longer open.")
    if errors:
        raise MemberError(errors)
    numbers: dict[str, str] = {}
    if "phone" in cleaned:
        numbers["phone_encrypted"] = crypto.encrypt(cleaned["phone"])
        numbers["phone_hash"] = crypto.lookup_hash("phone", cleaned["phone"])
        numbers["phone_masked"] = mask_phone(cleaned["phone"])
    if "union_card" in cleaned:
        numbers["union_card_encrypted"] = crypto.encrypt(cleaned["union_card"])
        numbers["union_card_hash"] = crypto.lookup_hash("card", cleaned["union_card"])
        numbers["union_card_masked"] = mask_card(cleaned["union_card"])
    if "union_card_hash" in numbers and numbers["union_card_hash"] != member.union_card_hash:
        _refuse_duplicates(
            actor=actor,
            fields=numbers,
            request=request,
            checks=(("union_card", "card"),),
            exclude_pk=member.pk,
        )
    try:
        with transaction.atomic():
            current = Member.objects.select_for_update().get(pk=member.pk)
            if correction is not None:
                correction = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
                if correction.status != CorrectionStatus.OPEN:
                    raise MemberError({NON_FIELD: _("This correction request is no longer open.")})
            changes = _changes(current, cleaned, numbers, data, employer)
            if not changes:
                raise NothingChanged({NON_FIELD: _("Nothing was changed.")})
            current.name = cleaned["name"]
            current.employer_name = employer
            current.has_basic_insurance = data.has_basic_insurance
            current.insurance_scope = data.insurance_scope
            for key, value in numbers.items():
                setattr(current, key, value)
            current.save()
            now = timezone.now()
            change = MemberChange.objects.create(
                member=current,
                kind=ChangeKind.EDIT,
                changes=changes,
                actor_user=actor,
                actor_label=(label or _actor_label(actor))[:150],
                correction=correction,
                created_at=now,
            )
            summary = f"{current.name} {current.id_number_masked}"
            record_event(
                action=Action.MEMBER_UPDATE,
                actor=actor,
                target=current,
                request=request,
                summary=(f"{label} " if label else "")
                + f"{summary}: "
                + "、".join(str(c["label"]) for c in changes),
                data={"change": change.pk, "changes": changes},
            )
            if correction is not None:
                correction.status = CorrectionStatus.CONFIRMED
                correction.decided_at = now
                correction.decided_by = actor
                correction.save(update_fields=["status", "decided_at", "decided_by"])
                record_event(
                    action=Action.CORRECTION_CONFIRM,
                    actor=actor,
                    target=current,
                    request=request,
                    summary=summary,
                    data={"correction": correction.pk, "change": change.pk},
                )
    except IntegrityError:
        # Another member took the card between the check and the write.
        if "union_card_hash" in numbers:
            _refuse_duplicates(
                actor=actor,
                fields=numbers,
                request=request,
                checks=(("union_card", "card"),),
                exclude_pk=member.pk,
                just_now=True,
            )
        raise MemberError(
            {"union_card": _("This union card already belongs to another member.")}
        ) from None
    member.refresh_from_db()
    return change


def _changes(
    current: Member,
    cleaned: dict[str, str],
    numbers: dict[str, str],
    data: MemberUpdate,
    employer: str,
) -> list[dict[str, str]]:
    """What differs, old → new, as the history shows it: numbers masked. A number is
    compared by its keyed hash, so two numbers with the same mask still count as a change."""
    changes: list[dict[str, str]] = []

    def add(field: str, label: str, old: str, new: str) -> None:
        changes.append({"field": field, "label": label, "old": old, "new": new})

    if current.name != cleaned["name"]:
        add("name", _("Name"), current.name, cleaned["name"])
    if "phone_hash" in numbers and current.phone_hash != numbers["phone_hash"]:
        add("phone", _("Mobile phone"), current.phone_masked, numbers["phone_masked"])
    if "union_card_hash" in numbers and current.union_card_hash != numbers["union_card_hash"]:
        add(
            "union_card",
            _("Union card"),
            current.union_card_masked,
            numbers["union_card_masked"],
        )
    if current.employer_name != employer:
        add("employer_name", _("Employer"), current.employer_name, employer)
    if current.has_basic_insurance != data.has_basic_insurance:
        add(
            "has_basic_insurance",
            _("Has basic medical insurance"),
            _yes_no(current.has_basic_insurance),
            _yes_no(data.has_basic_insurance),
        )
    if current.insurance_scope != data.insurance_scope:
        add(
            "insurance_scope",
            _("Insurance scope"),
            str(InsuranceScope(current.insurance_scope).label),
            str(InsuranceScope(data.insurance_scope).label),
        )
    return changes


def move_member(*, actor: User, member: Member, unit: Unit, request=None) -> MemberChange:
    """Move a member to another active grassroots union in the actor's scope: the member's
    unit and unit path, the kept counts of both units, history and audit, in one
    transaction."""
    allowed = scoped(
        Unit.objects.filter(pk=unit.pk, kind=UnitKind.GRASSROOTS, active=True), actor
    ).exists()
    if not allowed:
        raise MemberError({"unit": _("Choose an active grassroots union of your units.")})
    with transaction.atomic():
        # The member row alone: locking it joined to its unit would, on PostgreSQL, lose the
        # row when a concurrent move changed its unit meanwhile (the join is checked again
        # against the old unit's row), answering "no such member".
        current = Member.objects.select_for_update().get(pk=member.pk)
        if current.unit_id == unit.pk:
            raise MemberError({"unit": _("The member already belongs to this union.")})
        old_unit = Unit.objects.get(pk=current.unit_id)
        current.unit = unit
        current.unit_path = unit.path
        current.save(update_fields=["unit", "unit_path", "updated_at"])
        # The kept counts move with the row, in the same transaction (org.Unit).
        Unit.objects.filter(pk=old_unit.pk).update(member_count=F("member_count") - 1)
        Unit.objects.filter(pk=unit.pk).update(member_count=F("member_count") + 1)
        changes = [
            {
                "field": "unit",
                "label": str(_("Grassroots union")),
                "old": old_unit.name,
                "new": unit.name,
            }
        ]
        change = MemberChange.objects.create(
            member=current,
            kind=ChangeKind.MOVE,
            changes=changes,
            actor_user=actor,
            actor_label=_actor_label(actor),
            created_at=timezone.now(),
        )
        record_event(
            action=Action.MEMBER_MOVE,
            actor=actor,
            target=current,
            request=request,
            summary=f"{current.name} {current.id_number_masked}: {old_unit.name} → {unit.name}",
            data={"change": change.pk, "from": old_unit.path, "to": unit.path},
        )
    member.refresh_from_db()
    return change


class CorrectionError(Exception):
    def __init__(self, errors: dict[str, str], status: int = 200):
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.status = status


def _has_full_number(text: str) -> bool:
    digits = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text))
    return bool(FULL_ID_IN_TEXT.search(digits) or FULL_MOBILE_IN_TEXT.search(digits))


def request_correction(*, member: Member, field: str, text: str, request=None) -> CorrectionRequest:
    """A member asks their union to correct a detail (from the portal). At most
    OPEN_CORRECTIONS_PER_MEMBER wait at once."""
    errors: dict[str, str] = {}
    if field not in CorrectionField.values:
        errors["field"] = _("Choose what is wrong.")
    text = " ".join(str(text or "").split())
    if not text:
        errors["text"] = _("Describe what is wrong and what it should be.")
    elif len(text) > CORRECTION_TEXT_MAX:
        errors["text"] = _("At most %(n)s characters; this text has %(count)s.") % {
            "n": CORRECTION_TEXT_MAX,
            "count": len(text),
        }
    elif _has_full_number(text):
        errors["text"] = _(
            "Description: do not write a full ID number or mobile number here; your union "
            "will check the documents."
        )
    if errors:
        raise CorrectionError(errors)
    with transaction.atomic():
        # The member's row serializes two requests sent at once.
        locked = Member.objects.select_for_update().get(pk=member.pk)
        waiting = CorrectionRequest.objects.filter(
            member=locked, status=CorrectionStatus.OPEN
        ).count()
        if waiting >= OPEN_CORRECTIONS_PER_MEMBER:
            raise CorrectionError(
                {
                    NON_FIELD: _(
                        "You already have %(n)s requests waiting for your union: please wait "
                        "for their answer."
                    )
                    % {"n": waiting}
                },
                status=429,
            )
        correction = CorrectionRequest.objects.create(
            member=locked, field=field, text=text, created_at=timezone.now()
        )
        record_event(
            action=Action.CORRECTION_REQUEST,
            member=locked,
            target=locked,
            request=request,
            summary=f"{locked.name} {locked.id_number_masked}: {CorrectionField(field).label}",
            data={"correction": correction.pk, "field": field},
        )
    return correction


def refuse_correction(
    *, actor: User, correction: CorrectionRequest, reason: str, request=None
) -> CorrectionRequest:
    """The union refuses a request with a reason the member reads in the portal."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise CorrectionError({"reason": _("Give the member a reason.")})
    if len(reason) > REASON_MAX:
        raise CorrectionError(
            {
                "reason": _("At most %(n)s characters; this text has %(count)s.")
                % {"n": REASON_MAX, "count": len(reason)}
            }
        )
    with transaction.atomic():
        locked = (
            CorrectionRequest.objects.select_for_update(of=("self",))
            .select_related("member")
            .get(pk=correction.pk)
        )
        if locked.status != CorrectionStatus.OPEN:
            raise CorrectionError({NON_FIELD: _("This correction request is no longer open.")})
        locked.status = CorrectionStatus.REFUSED
        locked.reason = reason
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.save(update_fields=["status", "reason", "decided_at", "decided_by"])
        record_event(
            action=Action.CORRECTION_REFUSE,
            actor=actor,
            target=locked.member,
            request=request,
            summary=f"{locked.member.name} {locked.member.id_number_masked}",
            data={"correction": locked.pk, "reason": reason},
        )
    return locked
