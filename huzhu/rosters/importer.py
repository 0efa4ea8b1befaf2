"""Importing a roster (SPEC X1–X7, E3–E6, M1–M6): each data row becomes a paper (or renewal)
authorization, creating the member when new and updating their details when they changed.

Two passes, both set-based (a chunk of rows is a handful of queries, never one per row):

1. Outside any transaction, chunk by chunk: the rows are checked, the members, cards and
   enrollments they name are looked up, every row is judged (imported, already enrolled,
   rejected) and what will be written is encrypted. The job's progress moves here: it is
   committed as it goes (huzhu.jobs.progress), which it cannot be inside a transaction.
   A dry run stops after this pass.
2. One transaction writes everything: a crash leaves nothing half-applied. New members and
   enrollments are inserted with ON CONFLICT DO NOTHING and read back under a row lock, so
   an import (or a signing) of the same people running at the same moment is met cleanly:
   its rows count as already enrolled here, and no member gets two enrollments (E1).
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.dates import scheme_today
from huzhu.enrollment import rules as enrollment_rules
from huzhu.enrollment.models import (
    Authorization,
    Channel,
    Enrollment,
    EnrollmentChange,
    Source,
    State,
)
from huzhu.jobs.progress import Progress
from huzhu.members import crypto
from huzhu.members.models import ChangeKind, InsuranceScope, Member, MemberChange
from huzhu.members.rules import mask_card, mask_id_number, mask_phone
from huzhu.org.models import Unit, UnitKind
from huzhu.org.services import district
from huzhu.policy.selectors import current_policies
from huzhu.rosters.models import ImportStatus, RosterKind, RosterUpload
from huzhu.rosters.reader import RosterTable, read_roster
from huzhu.rosters.validate import (
    CheckedRow,
    card_of_other_error,
    check_rows,
    lapsed_error,
    paper_error,
    renewal_error,
    window_error,
)
from huzhu.xlsx import XlsxBook

# Rows looked up and written together: each lookup is one `IN (…)` of this many values,
# under SQLite's 999 parameters.
CHUNK = 900
# Rows written together on PostgreSQL.
POSTGRES_WRITE_CHUNK = 5000
# SQLite's page cache while the write pass runs (KiB; the default is 2 MB).
SQLITE_WRITE_CACHE_KIB = 256 * 1024
ERRORS_COLUMN = "错误说明"
ROW_COLUMN = "行号"


@dataclass(frozen=True)
class RejectedRow:
    row: int  # as the spreadsheet shows it
    errors: list[str]


@dataclass(frozen=True)
class RosterResult:
    imported: int
    already_enrolled: int
    rejected: int
    rejected_rows: list[RejectedRow]
    errors_workbook: bytes | None


IMPORTED, ALREADY, REJECTED = "imported", "already_enrolled", "rejected"


@dataclass(slots=True)
class Plan:
    """What the write pass does for one row that is to be imported."""

    row: CheckedRow
    organizing_id: int
    union_id: int | None
    unit_path: str  # the enrollment's
    member_id: int | None = None  # a known member
    member_unit_id: int | None = None
    member_unit: Unit | None = None  # where a new member is registered
    move: bool = False
    updates: dict[str, object] = field(default_factory=dict)
    changes: list[dict[str, str]] = field(default_factory=list)
    enrollment_id: int | None = None  # an existing enrollment without an active authorization
    enrollment_state: str = ""
    secrets: tuple[str, str, str] = ("", "", "")  # id, phone, card encrypted (new members)

    @property
    def member(self) -> int:
        """The member's id, once the write pass has created them when new."""
        assert self.member_id is not None
        return self.member_id


def _encrypt_all(values: list[str]) -> list[str]:
    many = getattr(crypto, "encrypt_many", None)
    return many(values) if many is not None else [crypto.encrypt(value) for value in values]


def _placement_ids(path: str) -> tuple[int | None, int | None, str]:
    """(organizing unit, grassroots union, path to file under) of a member's unit path
    "/district/organizing/union/[employer/]"."""
    ids = [part for part in path.strip("/").split("/") if part]
    if len(ids) < 2:
        return None, None, path
    if len(ids) == 2:
        return int(ids[1]), None, path
    return int(ids[1]), int(ids[2]), "/" + "/".join(ids[:3]) + "/"


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _details(row: CheckedRow, known: dict) -> tuple[dict[str, object], list[dict[str, str]]]:
    """The fields of a known member the row changes, and the history entries (masked)."""
    updates: dict[str, object] = {}
    changes: list[dict[str, str]] = []

    def add(name: str, label: str, old: str, new: str) -> None:
        changes.append({"field": name, "label": label, "old": old, "new": new})

    if known["name"] != row.name:
        updates["name"] = row.name
        add("name", _("Name"), known["name"], row.name)
    if known["phone_hash"] != row.phone_hash:
        updates["phone_hash"] = row.phone_hash
        updates["phone_masked"] = mask_phone(row.phone)
        add("phone", _("Mobile phone"), known["phone_masked"], mask_phone(row.phone))
    if known["union_card_hash"] != row.card_hash:
        updates["union_card_hash"] = row.card_hash
        updates["union_card_masked"] = mask_card(row.card)
        add("union_card", _("Union card"), known["union_card_masked"], mask_card(row.card))
    if row.employer and known["employer_name"] != row.employer:
        updates["employer_name"] = row.employer
        add("employer_name", _("Employer"), known["employer_name"], row.employer)
    if not known["has_basic_insurance"]:
        updates["has_basic_insurance"] = True
        add(
            "has_basic_insurance",
            _("Has basic medical insurance"),
            _yes_no(False),
            _yes_no(True),
        )
    return updates, changes


MEMBER_FIELDS = (
    "pk",
    "id_number_hash",
    "name",
    "phone_hash",
    "phone_masked",
    "union_card_hash",
    "union_card_masked",
    "employer_name",
    "has_basic_insurance",
    "unit_id",
    "unit_path",
)


# The columns the write pass inserts, in the order of its tuples.
MEMBER_COLUMNS = (
    "name",
    "id_number_encrypted",
    "id_number_hash",
    "id_number_masked",
    "phone_encrypted",
    "phone_hash",
    "phone_masked",
    "union_card_encrypted",
    "union_card_hash",
    "union_card_masked",
    "unit",
    "unit_path",
    "employer_name",
    "has_basic_insurance",
    "insurance_scope",
    "created_at",
    "updated_at",
)
ENROLLMENT_COLUMNS = (
    "member",
    "year",
    "organizing_unit",
    "grassroots_union",
    "employer_name",
    "unit_path",
    "state",
    "insurance_scope",
    "created_at",
    "updated_at",
)
AUTHORIZATION_COLUMNS = (
    "enrollment",
    "channel",
    "signed_on",
    "source",
    "actor",
    "created_at",
    "active",
    "roster",
)
CHANGE_COLUMNS = (
    "enrollment",
    "from_state",
    "to_state",
    "reason",
    "actor",
    "actor_label",
    "changed_at",
)


def _insert(model, fields: tuple[str, ...], rows: list[tuple], *, ignore_conflicts=False) -> None:
    """Insert `rows` (plain values already adapted to the database) in a few statements:
    Django's bulk_create spends most of its time compiling SQL row by row. SQLite: one
    statement run for every row by `executemany` (a C loop, no round trips). PostgreSQL:
    the rows are streamed with COPY into a temporary table of the same columns, then moved
    with one INSERT … SELECT (COPY itself cannot skip a conflicting row). `ignore_conflicts`:
    ON CONFLICT DO NOTHING."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    conflicts = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    # Table and column names come from the models; values go as parameters or COPY data.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            one = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({one}){conflicts}"  # noqa: S608
            cursor.executemany(sql, rows)
            return
        # The staging table lives as long as the transaction, holds no constraint, and is
        # emptied after each use.
        staging = quote(f"roster_staging_{model._meta.db_table}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}{conflicts}"  # noqa: S608
        )
        cursor.execute(f"TRUNCATE {staging}")


@contextmanager
def _sqlite_write_cache() -> Iterator[None]:
    """On SQLite, a larger page cache for the write pass: the three keyed-hash indexes of the
    member table take their rows in random order, and with the default 2 MB cache each insert
    reads index pages back from the write-ahead log. The setting is the connection's own and
    is put back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-SQLITE_WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


class _Importer:
    def __init__(
        self,
        *,
        table: RosterTable,
        year: int,
        kind: str,
        signed_on: datetime.date,
        unit: Unit | None,
        actor: Actor,
        upload: RosterUpload | None,
        label: str,
    ):
        self.table = table
        self.year = year
        self.channel = Channel.RENEWAL if kind == RosterKind.RENEWAL else Channel.PAPER
        self.signed_on = signed_on
        self.unit = unit
        self.unit_town = unit.organizing_unit() if unit is not None else None
        self.actor = actor
        self.upload = upload
        self.label = label
        self.policy = current_policies().get(year)
        self.closed = window_error(
            policy=self.policy, year=year, channel=self.channel, day=signed_on
        )
        self.outcome: dict[int, str] = {}  # sheet row → outcome
        self.errors: dict[int, list[str]] = {}
        self.plans: list[Plan] = []

    def reject(self, row: CheckedRow, *messages: str) -> None:
        self.outcome[row.row] = REJECTED
        self.errors[row.row] = list(messages)

    # --- pass 1 -------------------------------------------------------------------

    def judge(self, rows: list[CheckedRow], *, encrypt: bool) -> None:
        for row in rows:
            if not row.ok:
                self.reject(row, *row.errors)
        good = [row for row in rows if row.ok]
        if not good:
            return
        known = {
            found["id_number_hash"]: found
            for found in Member.objects.filter(
                id_number_hash__in=[row.id_hash for row in good]
            ).values(*MEMBER_FIELDS)
        }
        card_holders = dict(
            Member.objects.filter(union_card_hash__in=[row.card_hash for row in good]).values_list(
                "union_card_hash", "id_number_hash"
            )
        )
        member_ids = [found["pk"] for found in known.values()]
        active = Authorization.objects.filter(enrollment=OuterRef("pk"), active=True)
        enrollments = {
            found["member_id"]: found
            for found in Enrollment.objects.filter(member_id__in=member_ids, year=self.year)
            .annotate(has_active=Exists(active))
            .values("pk", "member_id", "state", "has_active")
        }
        previous: dict[int, tuple[str, int | None, int | None]] = {}
        if self.channel == Channel.RENEWAL or (
            self.policy is not None and self.policy.paper_new_members_only
        ):
            previous = {
                member_id: (state, organizing, union)
                for member_id, state, organizing, union in Enrollment.objects.filter(
                    member_id__in=member_ids, year=self.year - 1
                ).values_list("member_id", "state", "organizing_unit_id", "grassroots_union_id")
            }
        new_plans: list[Plan] = []
        first_plan = len(self.plans)
        for row in good:
            holder = card_holders.get(row.card_hash)
            if holder is not None and holder != row.id_hash:
                self.reject(row, card_of_other_error())
                continue
            member = known.get(row.id_hash)
            enrollment = enrollments.get(member["pk"]) if member else None
            if enrollment is not None and enrollment["has_active"]:
                self.outcome[row.row] = ALREADY
                continue
            if self.closed:
                self.reject(row, self.closed)
                continue
            if enrollment is not None and (lapsed := lapsed_error(enrollment["state"])):
                self.reject(row, lapsed)
                continue
            plan = self._place(row, member)
            before = previous.get(member["pk"]) if member else None
            if self.channel == Channel.RENEWAL:
                refused = renewal_error(
                    previous=before, current_units=(plan.organizing_id, plan.union_id)
                )
            else:
                refused = paper_error(
                    policy=self.policy,
                    channel=self.channel,
                    paid_last_year=before is not None and before[0] == State.PAID,
                )
            if refused:
                self.reject(row, refused)
                continue
            if member is not None:
                plan.updates, plan.changes = _details(row, member)
            if enrollment is not None:
                plan.enrollment_id = enrollment["pk"]
                plan.enrollment_state = enrollment["state"]
            self.outcome[row.row] = IMPORTED
            self.plans.append(plan)
            if member is None:
                new_plans.append(plan)
        if encrypt:
            self._encrypt(new_plans, [plan for plan in self.plans[first_plan:] if plan.updates])

    def _place(self, row: CheckedRow, member: dict | None) -> Plan:
        assert row.town is not None
        if self.unit is not None:
            assert self.unit_town is not None
            plan = Plan(row, self.unit_town.pk, self.unit.pk, self.unit.path)
            if member is not None:
                plan.member_id = member["pk"]
                plan.member_unit_id = member["unit_id"]
                plan.move = self.channel == Channel.PAPER and not member["unit_path"].startswith(
                    self.unit.path
                )
            else:
                plan.member_unit = self.unit
            return plan
        if member is not None:
            organizing, union, path = _placement_ids(member["unit_path"])
            plan = Plan(
                row, organizing or row.town.pk, union, path if organizing else row.town.path
            )
            plan.member_id = member["pk"]
            plan.member_unit_id = member["unit_id"]
            return plan
        # No union hands the roster in: the new member is held under the organizing unit
        # the row names, to be assigned a union like an online signer (SPEC §7a).
        plan = Plan(row, row.town.pk, None, row.town.path)
        plan.member_unit = row.town
        return plan

    def _encrypt(self, new_plans: list[Plan], updated: list[Plan]) -> None:
        values: list[str] = []
        for plan in new_plans:
            values += [plan.row.id_number, plan.row.phone, plan.row.card]
        for plan in updated:
            if "phone_hash" in plan.updates:
                values.append(plan.row.phone)
            if "union_card_hash" in plan.updates:
                values.append(plan.row.card)
        tokens = iter(_encrypt_all(values))
        for plan in new_plans:
            plan.secrets = (next(tokens), next(tokens), next(tokens))
        for plan in updated:
            if "phone_hash" in plan.updates:
                plan.updates["phone_encrypted"] = next(tokens)
            if "union_card_hash" in plan.updates:
                plan.updates["union_card_encrypted"] = next(tokens)

    # --- pass 2 -------------------------------------------------------------------

    def write(self) -> None:
        now = timezone.now()
        counts: Counter[int] = Counter()
        # SQLite's lookups stay under its 999 parameters; PostgreSQL takes larger chunks
        # (fewer statements, each COPY longer).
        size = CHUNK if connection.vendor == "sqlite" else POSTGRES_WRITE_CHUNK
        for start in range(0, len(self.plans), size):
            self._write_chunk(self.plans[start : start + size], now, counts)
        # The kept member counts move with the rows, in the same transaction (org.Unit).
        for unit_id, delta in sorted(counts.items()):
            if delta:
                Unit.objects.filter(pk=unit_id).update(member_count=F("member_count") + delta)

    def _write_chunk(self, plans: list[Plan], now, counts: Counter[int]) -> None:
        self._create_members([plan for plan in plans if plan.member_id is None], counts)
        plans = [plan for plan in plans if self.outcome[plan.row.row] == IMPORTED]
        self._update_members([plan for plan in plans if plan.updates], now)
        self._move_members([plan for plan in plans if plan.move], now, counts)
        fresh = sorted(
            (plan for plan in plans if plan.enrollment_id is None), key=lambda plan: plan.member
        )
        stamp = connection.ops.adapt_datetimefield_value(now)
        _insert(
            Enrollment,
            ENROLLMENT_COLUMNS,
            [
                (
                    plan.member,
                    self.year,
                    plan.organizing_id,
                    plan.union_id,
                    plan.row.employer,
                    plan.unit_path,
                    State.AUTHORIZED.value,
                    InsuranceScope.JIANGSU.value,
                    stamp,
                    stamp,
                )
                for plan in fresh
            ],
            ignore_conflicts=True,
        )
        # Read back under a lock: a signing of the same member that committed meanwhile
        # has its active authorization, and the row is already enrolled (E1, E5).
        active = Authorization.objects.filter(enrollment=OuterRef("pk"), active=True)
        locked = {
            found["member_id"]: found
            for found in Enrollment.objects.select_for_update()
            .filter(member_id__in=[plan.member_id for plan in plans], year=self.year)
            .annotate(has_active=Exists(active))
            .values("pk", "member_id", "state", "has_active", "insurance_scope")
        }
        authorizations: list[tuple] = []
        changes: list[tuple] = []
        revived: list[int] = []
        reason = (
            _("signed: %(channel)s") % {"channel": enrollment_rules.channel_title(self.channel)}
        )[:200]
        actor_id = self.actor.pk if self.actor is not None else None
        actor_label = (self.actor.get_username() if self.actor is not None else self.label)[:150]
        roster_id = self.upload.pk if self.upload is not None else None
        signed_on = connection.ops.adapt_datefield_value(self.signed_on)
        for plan in plans:
            found = locked[plan.member_id]
            if found["has_active"]:
                self.outcome[plan.row.row] = ALREADY
                continue
            if found["state"] == State.LAPSED:
                self.reject(plan.row, lapsed_error(State.LAPSED) or "")
                continue
            authorizations.append(
                (
                    found["pk"],
                    self.channel.value,
                    signed_on,
                    Source.ROSTER.value,
                    actor_id,
                    stamp,
                    True,
                    roster_id,
                )
            )
            old = "" if plan.enrollment_id is None else found["state"]
            if old == State.REVOKED:
                revived.append(found["pk"])
            if old in ("", State.REVOKED):
                changes.append(
                    (found["pk"], old, State.AUTHORIZED.value, reason, actor_id, actor_label, stamp)
                )
        if revived:
            Enrollment.objects.filter(pk__in=revived).update(state=State.AUTHORIZED, updated_at=now)
        _insert(Authorization, AUTHORIZATION_COLUMNS, authorizations)
        _insert(EnrollmentChange, CHANGE_COLUMNS, changes)

    def _create_members(self, plans: list[Plan], counts: Counter[int]) -> None:
        if not plans:
            return
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        _insert(
            Member,
            MEMBER_COLUMNS,
            [
                (
                    plan.row.name,
                    plan.secrets[0],
                    plan.row.id_hash,
                    mask_id_number(plan.row.id_number),
                    plan.secrets[1],
                    plan.row.phone_hash,
                    mask_phone(plan.row.phone),
                    plan.secrets[2],
                    plan.row.card_hash,
                    mask_card(plan.row.card),
                    plan.member_unit.pk if plan.member_unit else None,
                    plan.member_unit.path if plan.member_unit else "",
                    plan.row.employer,
                    True,
                    InsuranceScope.JIANGSU.value,
                    stamp,
                    stamp,
                )
                # In one order for every import: two of them at once wait for each other
                # rather than deadlock.
                for plan in sorted(plans, key=lambda plan: plan.row.id_hash)
            ],
            ignore_conflicts=True,
        )
        # Which rows are ours: a member inserted by an import running at the same moment
        # holds another ciphertext (each encryption is randomised).
        stored = {
            id_hash: (pk, token)
            for pk, id_hash, token in Member.objects.filter(
                id_number_hash__in=[plan.row.id_hash for plan in plans]
            ).values_list("pk", "id_number_hash", "id_number_encrypted")
        }
        for plan in plans:
            found = stored.get(plan.row.id_hash)
            if found is None:
                # Its union card was registered to someone else meanwhile (SPEC M4).
                self.reject(plan.row, card_of_other_error())
                continue
            plan.member_id = found[0]
            if found[1] == plan.secrets[0]:
                assert plan.member_unit is not None
                counts[plan.member_unit.pk] += 1

    def _update_members(self, plans: list[Plan], now) -> None:
        groups: dict[tuple[str, ...], list[Member]] = defaultdict(list)
        for plan in plans:
            fields = tuple(sorted(plan.updates))
            member = Member(pk=plan.member_id, updated_at=now, **plan.updates)
            groups[fields].append(member)
        for fields, members in groups.items():
            Member.objects.bulk_update(members, [*fields, "updated_at"])
        MemberChange.objects.bulk_create(
            MemberChange(
                member_id=plan.member,
                kind=ChangeKind.EDIT,
                changes=plan.changes,
                actor_user=self.actor,
                actor_label=self.label[:150],
                created_at=now,
            )
            for plan in plans
        )

    def _move_members(self, plans: list[Plan], now, counts: Counter[int]) -> None:
        """A known member on a new members' roster of another union now belongs to it."""
        if not plans:
            return
        assert self.unit is not None
        Member.objects.filter(pk__in=[plan.member_id for plan in plans]).update(
            unit=self.unit, unit_path=self.unit.path, updated_at=now
        )
        names = dict(
            Unit.objects.filter(pk__in={plan.member_unit_id for plan in plans}).values_list(
                "pk", "name"
            )
        )
        for plan in plans:
            assert plan.member_unit_id is not None
            counts[plan.member_unit_id] -= 1
            counts[self.unit.pk] += 1
        MemberChange.objects.bulk_create(
            MemberChange(
                member_id=plan.member,
                kind=ChangeKind.MOVE,
                changes=[
                    {
                        "field": "unit",
                        "label": str(_("Grassroots union")),
                        "old": names.get(plan.member_unit_id or 0, ""),
                        "new": self.unit.name,
                    }
                ],
                actor_user=self.actor,
                actor_label=self.label[:150],
                created_at=now,
            )
            for plan in plans
        )

    # --- the outcome ---------------------------------------------------------------

    def result(self, *, workbook: bool = True) -> RosterResult:
        tally = Counter(self.outcome.values())
        rejected_rows = [
            RejectedRow(row, self.errors[row])
            for row, outcome in sorted(self.outcome.items())
            if outcome == REJECTED
        ]
        return RosterResult(
            imported=tally[IMPORTED],
            already_enrolled=tally[ALREADY],
            rejected=tally[REJECTED],
            rejected_rows=rejected_rows,
            errors_workbook=errors_workbook(self.table, rejected_rows) if rejected_rows else None,
        )


def errors_workbook(table: RosterTable, rejected: list[RejectedRow]) -> bytes:
    """SPEC X4: the rejected rows with their original columns and 错误说明, each under its
    row number in the file sent."""
    cells = {row.row: row.cells for row in table.rows}
    book = XlsxBook()
    width = len(table.header)
    sheet = book.sheet(ERRORS_COLUMN, width + 2)
    sheet.widths([8] + [16] * width + [60])
    sheet.header([ROW_COLUMN, *table.header, ERRORS_COLUMN])
    for item in rejected:
        original = list(cells[item.row])
        original += [""] * (width - len(original))
        sheet.row([item.row, *original[:width], "；".join(item.errors)])
    return book.close()


def roster_label(filename: str, upload: RosterUpload | None) -> str:
    """Who member history and enrollment changes name for the import: the roster."""
    if upload is not None:
        return _("Roster %(name)s (upload %(id)s)") % {"name": filename, "id": upload.pk}
    return _("Roster %(name)s") % {"name": filename}


def import_roster(
    *,
    content: bytes,
    filename: str,
    password: str | None,
    year: int,
    kind: str,
    signed_on: datetime.date,
    unit: Unit | None,
    actor: Actor,
    dry_run: bool,
    upload: RosterUpload | None,
    progress: Progress | None = None,
) -> RosterResult:
    """Import one roster file; RosterFileError (reader) when it cannot be read as one.

    `unit`: the grassroots union handing the roster in (None: each new member is held under
    the organizing unit its row names). `upload`: the RosterUpload the authorizations name
    (`roster=`), whose counts and status are set in the same transaction. `dry_run`: the
    same outcome, nothing written."""
    table = read_roster(content, filename, password)
    towns = {
        found.name: found for found in Unit.objects.filter(kind=UnitKind.ORGANIZING, active=True)
    }
    importer = _Importer(
        table=table,
        year=year,
        kind=kind,
        signed_on=signed_on,
        unit=unit,
        actor=actor,
        upload=upload,
        label=roster_label(filename, upload),
    )
    rows = check_rows(
        table,
        towns=towns,
        unit_town=importer.unit_town,
        today=scheme_today(),
    )
    if progress is not None:
        progress.start(len(rows))
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        importer.judge(chunk, encrypt=not dry_run)
        if progress is not None:
            progress.advance(len(chunk))
    if progress is not None:
        progress.flush()
    if dry_run:
        return importer.result()
    with transaction.atomic(), _sqlite_write_cache():
        importer.write()
        result = importer.result()
        if upload is not None:
            RosterUpload.objects.filter(pk=upload.pk).update(
                imported=result.imported,
                already_enrolled=result.already_enrolled,
                rejected=result.rejected,
                status=ImportStatus.IMPORTED,
            )
            upload.refresh_from_db()
        record_event(
            action=Action.ROSTER_IMPORT,
            actor=actor,
            target=upload,
            unit_path=upload.unit_path if upload else (unit.path if unit else district().path),
            summary=_(
                "%(name)s: %(imported)s imported, %(already)s already enrolled, "
                "%(rejected)s rejected"
            )
            % {
                "name": filename,
                "imported": result.imported,
                "already": result.already_enrolled,
                "rejected": result.rejected,
            },
            data={
                "file": filename,
                "year": year,
                "kind": kind,
                "signed_on": signed_on.isoformat(),
                "unit": unit.pk if unit else None,
                "imported": result.imported,
                "already_enrolled": result.already_enrolled,
                "rejected": result.rejected,
            },
        )
    return result
