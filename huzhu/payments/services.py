"""Collective deduction (SPEC D3–D6): build a batch and its bank file, apply a result file.

A batch takes each deductible enrollment at most once, even when two are built at the same
moment: its items go in with one set-based insert that skips any enrollment already holding
a live item — the partial unique index `deduction_one_live_item` decides, not the code."""

import hashlib
import itertools
import tempfile
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.claims.models import PayoutBatch
from huzhu.dates import scheme_date
from huzhu.enrollment.models import Authorization, Enrollment, State
from huzhu.enrollment.services import mark_failed_many, mark_paid, mark_paid_many
from huzhu.files import rules as file_rules
from huzhu.files.services import open_stored, store_generated
from huzhu.ledger import services as ledger
from huzhu.members import crypto
from huzhu.org.services import district
from huzhu.payments import bankfile
from huzhu.payments.bankfile import PaymentFileError
from huzhu.payments.models import (
    LIVE,
    BankFileRecord,
    BatchState,
    DeductionBatch,
    DeductionItem,
    FileKind,
    Outcome,
    Refund,
    RefundSource,
    RefusedBankFile,
    SelfPayment,
)
from huzhu.policy.selectors import current_policies
from huzhu.rosters.selectors import deductible_q

CHUNK = 5000


def candidates(*, year: int, max_attempts: int, retry_codes: tuple[str, ...] | None = None):
    """SPEC D3, D6, E6: authorized or failed, not paid, an active deductible authorization,
    a bank card on file, no live item, fewer failed attempts than the policy allows, and no
    failure with a code the policy does not retry (§14: those go to follow-up).

    Every condition is an EXISTS or NOT EXISTS, which the databases run as semi- and
    anti-joins over the whole year (a count per enrollment would be a subquery per row: a
    million of them). An item records its attempt (the failed items before it, plus one), so
    "failed `max_attempts` times" is "a failed item with attempt ≥ max_attempts"."""
    deductible = Authorization.objects.filter(enrollment=OuterRef("pk"), active=True).filter(
        deductible_q()
    )
    live = DeductionItem.objects.filter(enrollment=OuterRef("pk"), outcome__in=LIVE)
    exhausted = DeductionItem.objects.filter(
        enrollment=OuterRef("pk"), outcome=Outcome.FAILED, attempt__gte=max_attempts
    )
    found = Enrollment.objects.filter(year=year, state__in=[State.AUTHORIZED, State.FAILED])
    if retry_codes is not None:
        final = DeductionItem.objects.filter(
            enrollment=OuterRef("pk"), outcome=Outcome.FAILED
        ).exclude(bank_code__in=retry_codes)
        found = found.exclude(Exists(final))
    return (
        found.exclude(member__union_card_encrypted="")
        .filter(Exists(deductible))
        .exclude(Exists(live))
        .exclude(Exists(exhausted))
        .order_by("pk")
    )


def _number(year: int) -> str:
    return f"{year}{uuid.uuid4().hex[:12].upper()}"


def _insert_items(*, batch: DeductionBatch, found: QuerySet, fee) -> int:
    """The batch's items in one INSERT … SELECT over the candidates' query, numbered in
    enrollment order. ON CONFLICT DO NOTHING: an enrollment another batch took in the
    meantime is left out here (the partial unique index `deduction_one_live_item` decides;
    the numbers then have a gap, which the bank does not mind)."""
    quote = connection.ops.quote_name
    items = quote(DeductionItem._meta.db_table)
    sql, params = found.values_list("eid").query.sql_with_params()
    # The attempt: the enrollment's failed items so far, plus one. SQLite reads
    # "SELECT … FROM (…) ON CONFLICT" as a join without a WHERE: hence "WHERE 1 = 1".
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {items} "  # noqa: S608
            "(batch_id, enrollment_id, seq, amount, outcome, bank_code, bank_message, attempt) "
            "SELECT %s, c.eid, ROW_NUMBER() OVER (ORDER BY c.eid), %s, %s, '', '', "
            "COALESCE(f.n, 0) + 1 "
            f"FROM ({sql}) c LEFT JOIN (SELECT enrollment_id, COUNT(*) AS n FROM {items} "
            "WHERE outcome = %s GROUP BY enrollment_id) f ON f.enrollment_id = c.eid "
            "WHERE 1 = 1 ON CONFLICT DO NOTHING",
            [
                batch.pk,
                connection.ops.adapt_decimalfield_value(fee, 10, 2),
                Outcome.PENDING,
                *params,
                Outcome.FAILED,
            ],
        )
        return cursor.rowcount


def _write_request_file(*, batch: DeductionBatch, count: int, total, handle: IO[bytes]) -> None:
    """The request file (SPEC D4) written in chunks: the rows come through a server-side
    cursor (chunks on SQLite) and their numbers are decrypted a chunk at a time."""
    handle.write(
        bankfile.bank_file_format().request_header(batch_id=batch.number, count=count, total=total)
    )
    write_request_lines(
        rows=DeductionItem.objects.filter(batch=batch)
        .order_by("seq")
        .values_list(
            "seq",
            "pk",
            "enrollment__member__union_card_encrypted",
            "enrollment__member__name",
            "enrollment__member__id_number_encrypted",
            "amount",
        ),
        handle=handle,
    )


def write_request_lines(*, rows: QuerySet, handle: IO[bytes]) -> None:
    """The detail lines of a request file (SPEC D4) from `rows` of (seq, item id, encrypted
    card, name, encrypted ID number, amount) in file order: read through a server-side
    cursor (chunks on SQLite), their numbers decrypted a chunk at a time."""
    bank = bankfile.bank_file_format()
    found = rows.iterator(chunk_size=CHUNK)
    while chunk := list(itertools.islice(found, CHUNK)):
        cards = crypto.decrypt_many([row[2] for row in chunk])
        ids = crypto.decrypt_many([row[4] for row in chunk])
        handle.write(
            bank.request_lines(
                [
                    bankfile.RequestLine(
                        seq=seq, item_id=pk, card_no=card, name=name, id_no=id_no, amount=amount
                    )
                    for (seq, pk, _card, name, _id, amount), card, id_no in zip(
                        chunk, cards, ids, strict=True
                    )
                ]
            )
        )


def create_batch(*, year: int, actor: Actor) -> DeductionBatch | None:
    """A batch of every deductible enrollment of `year` and its request file, or None when
    there is nothing to deduct (SPEC D3, D4). Set-based whatever the size: one INSERT …
    SELECT for the items, the file streamed to disk (benchmarks/deduction_bench.py)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _create_batch(year=year, actor=actor)


def _create_batch(*, year: int, actor: Actor) -> DeductionBatch | None:
    policy = current_policies().get(year)
    if policy is None:
        raise PaymentFileError(_("There is no policy for %(year)s.") % {"year": year})
    fee = policy.fee
    found = candidates(
        year=year, max_attempts=policy.max_attempts, retry_codes=policy.retry_codes
    ).annotate(eid=F("pk"))
    with transaction.atomic():
        batch = DeductionBatch.objects.create(
            number=_number(year),
            year=year,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=timezone.now(),
        )
        count = _insert_items(batch=batch, found=found, fee=fee)
        if not count:
            transaction.set_rollback(True)
            return None
        # Every item is the year's fee (D1).
        total = fee * count
        with tempfile.TemporaryFile() as handle:
            _write_request_file(batch=batch, count=count, total=total, handle=handle)
            handle.seek(0)
            stored = store_generated(
                actor=actor,
                content=handle,
                name=f"deduction-{batch.number}.txt",
                unit_path=district().path,
                kind=file_rules.CSV,
            )
        sha256 = stored.file.sha256
        batch.item_count = count
        batch.total = total
        batch.request_file = stored.file
        batch.request_sha256 = sha256
        batch.save(update_fields=["item_count", "total", "request_file", "request_sha256"])
        BankFileRecord.objects.create(
            kind=FileKind.REQUEST,
            sha256=sha256,
            batch=batch,
            received_at=batch.created_at,
            file=stored.file,
        )
        record_event(
            action=Action.DEDUCTION_BATCH,
            actor=actor,
            target=batch,
            unit_path=district().path,
            summary=_("Deduction batch %(number)s: %(n)s items, %(total)s yuan")
            % {"number": batch.number, "n": batch.item_count, "total": bankfile.money(batch.total)},
            data={
                "batch": batch.number,
                "year": year,
                "items": batch.item_count,
                "total": bankfile.money(batch.total),
                "sha256": sha256,
            },
        )
    return batch


def request_content(batch: DeductionBatch | PayoutBatch) -> bytes:
    """The request file of a deduction or a payout batch, as stored."""
    assert batch.request_file is not None
    with open_stored(batch.request_file) as handle:
        return handle.read()


@dataclass(frozen=True)
class Applied:
    batch: DeductionBatch
    debited: int
    failed: int
    already: bool
    # Debits of enrollments paid, revoked or lapsed meanwhile: kept, and refunded (D7).
    refunded: int = 0


STAGING = "deduction_result_staging"


def _stage(result: bankfile.ResultFile) -> str:
    """The result's lines in a temporary table (line, seq, item, fen, code, message): COPY
    on PostgreSQL, one executemany on SQLite. Dropped with the transaction (PostgreSQL) or
    by `_unstage`."""
    table = connection.ops.quote_name(STAGING)
    rows = zip(
        range(2, len(result) + 2),
        result.seqs,
        result.item_ids,
        result.fen,
        result.codes,
        result.messages,
        strict=True,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} (line bigint, seq bigint, item_id bigint, "
                "fen bigint, code text, message text) ON COMMIT DROP"
            )
            with cursor.copy(
                f"COPY {table} (line, seq, item_id, fen, code, message) FROM STDIN"  # noqa: S608
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} (line integer, seq integer, item_id integer, "
                "fen integer, code text, message text)"
            )
            cursor.executemany(
                f"INSERT INTO temp.{table} VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
                rows,  # type: ignore[arg-type]  # sqlite3 takes any iterable, read once
            )
        cursor.execute(
            f"CREATE INDEX ON {table} (item_id)"
            if connection.vendor == "postgresql"
            else f"CREATE INDEX temp.{STAGING}_item ON {STAGING} (item_id)"
        )
        cursor.execute(f"ANALYZE {table}")
    return table


def _unstage() -> None:
    """Drop the staging table if it is still there (SQLite keeps temporary tables for the
    connection's life; PostgreSQL drops it at the commit, but not inside an outer
    transaction such as a test's)."""
    if connection.needs_rollback or connection.connection is None:
        return
    temp = "pg_temp" if connection.vendor == "postgresql" else "temp"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}.{connection.ops.quote_name(STAGING)}")


def _check(batch: DeductionBatch | None, result: bankfile.ResultFile) -> str:
    """Every problem of the file against its batch (SPEC D5, §14), or PaymentFileError
    listing them; the staged lines' table when there is none."""
    problems = bankfile.batch_problems(
        result, batch, settled=batch is not None and batch.state == BatchState.SETTLED
    )
    assert batch is not None
    staging = _stage(result)
    items = connection.ops.quote_name(DeductionItem._meta.db_table)
    wrong = (
        f"FROM {staging} s LEFT JOIN {items} d ON d.id = s.item_id AND d.batch_id = %s "  # noqa: S608
        f"JOIN (SELECT item_id, MIN(line) AS first_line FROM {staging} GROUP BY item_id) f "
        "ON f.item_id = s.item_id "
        "WHERE d.id IS NULL OR s.line <> f.first_line OR d.seq <> s.seq "
        "OR ROUND(d.amount * 100) <> s.fen"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.line, s.seq, s.item_id, s.fen, d.id, f.first_line, d.seq, d.amount {wrong} "  # noqa: S608
            f"ORDER BY s.line LIMIT {bankfile.MAX_ERRORS}",
            [batch.pk],
        )
        found = cursor.fetchall()
        if found:
            cursor.execute(f"SELECT COUNT(*) {wrong}", [batch.pk])  # noqa: S608
            total_wrong = cursor.fetchone()[0]
    for line, seq, item, fen, known, first, expected_seq, expected in found:
        problem = bankfile.line_problem(
            line=line,
            item=item,
            seq=seq,
            fen=fen,
            batch=batch.number,
            known=known is not None,
            first=first,
            expected_seq=expected_seq,
            expected=None if expected is None else Decimal(expected),
        )
        if problem:
            problems.add(problem)
    if found:
        problems.more += total_wrong - len(found)
    if problems:
        raise problems.error()
    return staging


def apply_result(*, content: bytes, actor: Actor) -> Applied:
    """Apply a bank result file all or nothing (SPEC D5); the same file twice changes
    nothing and says so. A refused file raises PaymentFileError listing every problem
    (SPEC §14), and is recorded once (`RefusedBankFile`) with them."""
    with translation.override(settings.LANGUAGE_CODE):
        try:
            return _apply_result(content=content, actor=actor)
        except PaymentFileError as exc:
            raise record_refusal(content=content, refused=exc, actor=actor) from exc
        finally:
            _unstage()


def record_refusal(
    *,
    content: bytes,
    refused: PaymentFileError,
    actor: Actor,
    model: Any = RefusedBankFile,
    batches: Any = DeductionBatch,
) -> PaymentFileError:
    """The refusal kept once per file content; the same file again shows what was recorded.
    `model` and `batches`: where, and whose batch (a payout result: RefusedPayoutFile and
    PayoutBatch, which have the same fields)."""
    sha256 = hashlib.sha256(content).hexdigest()
    number = refused.batch_number
    row = model.objects.filter(sha256=sha256).first()
    if row is None:
        try:
            with transaction.atomic():
                row = model.objects.create(
                    sha256=sha256,
                    batch_number=number[:100],
                    batch=batches.objects.filter(number=number).first() if number else None,
                    received_at=timezone.now(),
                    errors=refused.errors,
                    more=refused.more,
                    actor=actor if getattr(actor, "pk", None) else None,
                    actor_label=actor.get_username()
                    if actor is not None and getattr(actor, "pk", None)
                    else "system",
                )
        except IntegrityError:  # the same file refused at the same moment elsewhere
            row = model.objects.get(sha256=sha256)
    error = PaymentFileError(errors=row.errors, more=row.more)
    error.batch_number = row.batch_number
    return error


def applied_result(sha256: str) -> BankFileRecord | None:
    """The record of the result file with this content's hash, if it was applied (D5)."""
    return (
        BankFileRecord.objects.filter(sha256=sha256, kind=FileKind.RESULT)
        .select_related("batch")
        .first()
    )


def _apply_result(*, content: bytes, actor: Actor) -> Applied:
    sha256 = hashlib.sha256(content).hexdigest()
    earlier = applied_result(sha256)
    if earlier is not None:  # the common repeat, answered before reading the file
        return Applied(batch=earlier.batch, debited=0, failed=0, already=True)
    result = bankfile.bank_file_format().parse_result(content)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Joins of a million ids hash in memory rather than spill to disk; for this
            # transaction only.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
        batch = DeductionBatch.objects.select_for_update().filter(number=result.batch_id).first()
        # Asked again under the batch's lock: the same file applied at this moment elsewhere.
        earlier = applied_result(sha256)
        if earlier is not None:
            return Applied(batch=earlier.batch, debited=0, failed=0, already=True)
        try:
            staging = _check(batch, result)
        except PaymentFileError as exc:
            exc.batch_number = result.batch_id
            raise
        assert batch is not None
        debited = result.codes.count(bankfile.DEBITED)
        failed = len(result) - debited
        del result
        _lock_enrollments(batch)
        _settle_items(batch=batch, staging=staging)
        reason = (_("deduction batch %(batch)s") % {"batch": batch.number})[:200]
        refunded = _refund_unpayable_debits(batch=batch)
        movable = [State.AUTHORIZED, State.FAILED]
        # Each enrollment gets its state-change row naming the batch; the audit trail of the
        # act is the one DEDUCTION_RESULT event below, with the file's hash (docs/decisions.md,
        # "One audit event for a deduction result").
        of_batch = DeductionItem.objects.filter(batch=batch)
        # An enrollment revoked, lapsed or paid meanwhile is not movable: a debit of it was
        # refunded above, a failure of it changes nothing on it.
        for outcome, move in (
            (Outcome.DEBITED, mark_paid_many),
            (Outcome.FAILED, mark_failed_many),
        ):
            move(
                enrollment_ids=Enrollment.objects.filter(
                    state__in=movable,
                    pk__in=of_batch.filter(outcome=outcome).values("enrollment"),
                ),
                actor=actor,
                reason=reason,
                locked=True,
                audit_each=False,
            )
        # Items and enrollments are settled: what follows records the file and books the
        # fee income (SPEC D9) on the day the file is recorded.
        stored = store_generated(
            actor=actor,
            content=content,
            name=f"deduction-result-{batch.number}.txt",
            unit_path=district().path,
            kind=file_rules.CSV,
        )
        batch.state = BatchState.SETTLED
        batch.save(update_fields=["state"])
        try:
            with transaction.atomic():
                record = BankFileRecord.objects.create(
                    kind=FileKind.RESULT,
                    sha256=sha256,
                    batch=batch,
                    received_at=timezone.now(),
                    file=stored.file,
                )
        except IntegrityError as exc:
            raise PaymentFileError(
                _("This file was already recorded as another bank file.")
            ) from exc
        # Booked on the day the file is recorded, the day reconciliation reads for it.
        ledger.post_batch_income(
            batch=batch, actor=actor, booked_on=scheme_date(record.received_at)
        )
        record_event(
            action=Action.DEDUCTION_RESULT,
            actor=actor,
            target=batch,
            unit_path=district().path,
            summary=_("Result of batch %(batch)s: %(debited)s debited, %(failed)s failed")
            % {"batch": batch.number, "debited": debited, "failed": failed},
            data={
                "batch": batch.number,
                "debited": debited,
                "failed": failed,
                "refunded": refunded,
                "sha256": sha256,
            },
        )
    return Applied(batch=batch, debited=debited, failed=failed, already=False, refunded=refunded)


def _lock_enrollments(batch: DeductionBatch) -> None:
    """PostgreSQL: the batch's enrollments locked in id order, so a revocation or a
    self-payment waits for the result (or the result for it) and the states read below
    stay true until the commit. SQLite has one writer at a time."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH locked AS (SELECT e.id FROM {quote(Enrollment._meta.db_table)} e "  # noqa: S608
            f"JOIN {quote(DeductionItem._meta.db_table)} d ON d.enrollment_id = e.id "
            "WHERE d.batch_id = %s ORDER BY e.id FOR UPDATE OF e) SELECT count(*) FROM locked",
            [batch.pk],
        )


def _settle_items(*, batch: DeductionBatch, staging: str) -> None:
    """Each item's outcome from its line: one UPDATE … FROM the staged lines, not a million
    saves (each item written once; a debited item keeps its empty message)."""
    items = connection.ops.quote_name(DeductionItem._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {items} AS d SET outcome = CASE WHEN s.code = %s THEN %s ELSE %s END, "  # noqa: S608
            "bank_code = SUBSTR(s.code, 1, 10), "
            "bank_message = CASE WHEN s.code = %s THEN d.bank_message "
            f"ELSE SUBSTR(s.message, 1, 100) END FROM {staging} AS s "
            "WHERE d.id = s.item_id AND d.batch_id = %s",
            [
                bankfile.DEBITED,
                Outcome.DEBITED,
                Outcome.FAILED,
                bankfile.DEBITED,
                batch.pk,
            ],
        )
        if connection.vendor == "postgresql":
            # Every outcome of the batch just changed (and its items may be newer than the
            # last autovacuum): fresh statistics, from a sample (0.2 s at a million), let the
            # joins below hash a million rows instead of looping over them one by one. At a
            # million, the state-change rows took 6 s instead of 22 s, the enrollments' join
            # 3.7 s instead of 15 s (benchmarks/README.md). Others see them after the commit.
            cursor.execute(f"ANALYZE {items}")


def _refund_unpayable_debits(*, batch: DeductionBatch) -> int:
    """SPEC D7: a debited item whose enrollment is no longer waiting for the money keeps
    its debit and gets a refund, and the enrollment keeps its state: paid meanwhile (a
    self-payment crossing the batch), revoked or lapsed meanwhile (the member is not
    enrolled, the money goes back). One INSERT … SELECT."""
    quote = connection.ops.quote_name
    number = {"batch": batch.number}
    reasons = [
        _("Debited by batch %(batch)s after a self-payment") % number,
        _("Debited by batch %(batch)s of an enrollment already paid; to be refunded") % number,
        _("Debited by batch %(batch)s after the enrollment was revoked; to be refunded") % number,
        _("Debited by batch %(batch)s after the enrollment lapsed; to be refunded") % number,
    ]
    enrollments = quote(Enrollment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Refund._meta.db_table)} "  # noqa: S608
            "(enrollment_id, amount, reason, source, deduction_item_id, created_at) "
            "SELECT d.enrollment_id, d.amount, CASE "
            f"WHEN e.state = %s AND EXISTS (SELECT 1 FROM {quote(SelfPayment._meta.db_table)} p "
            "WHERE p.enrollment_id = e.id) THEN %s "
            "WHEN e.state = %s THEN %s WHEN e.state = %s THEN %s ELSE %s END, %s, d.id, %s "
            f"FROM {quote(DeductionItem._meta.db_table)} d "
            f"JOIN {enrollments} e ON e.id = d.enrollment_id "
            "WHERE d.batch_id = %s AND d.outcome = %s AND e.state NOT IN (%s, %s)",
            [
                State.PAID,
                reasons[0][:200],
                State.PAID,
                reasons[1][:200],
                State.REVOKED,
                reasons[2][:200],
                reasons[3][:200],
                RefundSource.DEDUCTION,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                batch.pk,
                Outcome.DEBITED,
                State.AUTHORIZED,
                State.FAILED,
            ],
        )
        return cursor.rowcount


class DuplicateTransaction(Exception):
    """The bank's transaction was already applied (SPEC D2): nothing changes."""


def record_self_payment(
    *,
    enrollment: Enrollment,
    transaction_id: str,
    amount,
    paid_at,
    notice=None,
) -> SelfPayment:
    """SPEC D2, D7: the enrollment becomes paid; one already paid keeps its payment and the
    self-payment becomes a refund to make. A transaction applied before raises
    DuplicateTransaction and changes nothing. Call inside a transaction holding the
    enrollment's row lock."""
    try:
        with transaction.atomic():
            payment = SelfPayment.objects.create(
                enrollment=enrollment,
                transaction_id=transaction_id,
                amount=amount,
                paid_at=paid_at,
                notice=notice,
            )
    except IntegrityError as exc:
        raise DuplicateTransaction(transaction_id) from exc
    ledger.post_self_payment(payment=payment)
    reason = _("self-payment %(id)s") % {"id": transaction_id}
    if enrollment.state == State.PAID:
        Refund.objects.create(
            enrollment=enrollment,
            amount=amount,
            reason=(
                _("Self-payment %(id)s of an enrollment already paid") % {"id": transaction_id}
            )[:200],
            source=RefundSource.SELF_PAYMENT,
            self_payment=payment,
            created_at=timezone.now(),
        )
    else:
        mark_paid(enrollment=enrollment, actor=None, reason=reason[:200])
    return payment


def refunds_to_make():
    """SPEC D7: refunds not yet made, oldest first."""
    return Refund.objects.filter(made_at__isnull=True).select_related("enrollment__member")


def mark_refund_made(*, refund_id: int, actor: Actor) -> Refund:
    """SPEC D7: a refund paid back, once, with an audit row; PaymentFileError otherwise."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().filter(pk=refund_id).first()
        if refund is None:
            raise PaymentFileError(_("There is no refund %(id)s.") % {"id": refund_id})
        if refund.made_at is not None:
            raise PaymentFileError(_("Refund %(id)s was already made.") % {"id": refund_id})
        refund.made_at = timezone.now()
        refund.made_by = actor if getattr(actor, "pk", None) else None
        refund.save(update_fields=["made_at", "made_by"])
        ledger.post_refund(refund=refund, actor=actor)
        record_event(
            action=Action.REFUND_MADE,
            actor=actor,
            target=refund,
            unit_path=refund.enrollment.unit_path,
            summary=_("Refund %(id)s of %(amount)s yuan made")
            % {"id": refund.pk, "amount": bankfile.money(refund.amount)},
            data={"refund": refund.pk, "amount": bankfile.money(refund.amount)},
        )
    return refund


__all__ = [
    "Applied",
    "DuplicateTransaction",
    "mark_refund_made",
    "record_self_payment",
    "refunds_to_make",
    "PaymentFileError",
    "apply_result",
    "create_batch",
    "request_content",
]
