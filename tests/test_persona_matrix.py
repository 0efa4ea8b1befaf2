"""Every console and portal page against every persona of STYLE.md (SPEC S1, §12).

One row per page and method: the status each persona gets. A refused POST carries data
that would be written if the check were missing, and must write nothing. A page added to
the URLconf without a row here fails `test_every_page_is_in_the_matrix`.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

import huzhu
from huzhu.accounts.roles import Role
from huzhu.bank.simulated_bank import answer_payout_file
from huzhu.claims import payouts as payout_services
from huzhu.claims.models import Claim, PayoutBatch, RecoveryCase
from huzhu.enrollment import services as enrollment_services
from huzhu.enrollment.models import Enrollment
from huzhu.files import rules as file_kinds
from huzhu.files.services import store_generated
from huzhu.jobs import kinds
from huzhu.jobs.services import start_job
from huzhu.ledger.models import EntryKind, LedgerEntry
from huzhu.members.services import MemberInput, create_member, request_correction
from huzhu.payments.models import DeductionBatch, Refund, RefundSource
from huzhu.payments.services import create_batch
from huzhu.policy.models import PolicyVersion
from huzhu.portal.views import SESSION_KEY
from huzhu.rosters.models import RosterUpload
from tests.claims import helpers as claim_helpers
from tests.conftest import PASSWORD, make_id_number, make_user, sign_in
from tests.payments import helpers as payment_files
from tests.rosters import files as roster_files
from tests.rosters.review_helpers import make_roster

PERSONAS = (
    "anonymous",
    "hutang_admin",
    "hutang_clerk",
    "niutang_admin",
    "district_admin",
    "finance",
    "auditor",
    "member",
    "other_member",
)
STAFF = PERSONAS[1:7]

# Arguments: "member" is 湖塘镇's member 张三, "policy" a policy version, "user" the clerk,
# "unit" 湖塘镇's second grassroots union (the clerk belongs to the first), "job" a background
# job 湖塘镇's admin started, "file" a file stored for 湖塘镇, "enrollment" 张三's 2022
# enrollment (paper), "member_year" 张三 and 2022, "organizing" 湖塘镇, "roster" a roster
# upload of 湖塘镇's first union awaiting approval, with 张三's authorization and an errors file,
# "checked_roster" one checked and waiting for its uploader's confirmation, "batch" a 2022
# deduction batch holding 张三, "refund" a refund to make to 张三, "claim" 张三's submitted
# 2022 claim, "claim_document" that claim and one of its documents, "payout_batch" a payout
# batch paying 张三's approved 2022 claim, "recovery" an open recovery case on 张三's claim.
# fmt: off
MATRIX = [
    # method, URL name, argument           anon hadm hclk nadm dist fin  aud  mem  omem
    ("GET", "console:login", None,          (200, 302, 302, 302, 302, 302, 302, 200, 200)),
    ("POST", "console:logout", None,        (302, 302, 302, 302, 302, 302, 302, 302, 302)),
    ("GET", "console:otp", None,            (302, 302, 302, 302, 302, 302, 302, 302, 302)),
    ("GET", "console:password_change", None, (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("POST", "console:password_change", None, (302, 302, 302, 302, 302, 302, 302, 302, 302)),
    ("GET", "console:dashboard", None,      (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("GET", "console:targets", None,        (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("POST", "console:targets_import", None, (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("GET", "console:targets_confirm", None, (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:targets_confirm", None, (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("GET", "console:union_targets", "organizing",
                                            (302, 200, 200, 404, 200, 200, 200, 302, 302)),
    ("POST", "console:union_targets", "organizing",
                                            (302, 302, 403, 404, 302, 403, 403, 302, 302)),
    ("GET", "console:units", None,          (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("GET", "console:unit", "unit",         (302, 200, 404, 404, 200, 200, 200, 302, 302)),
    ("POST", "console:unit_rename", "unit", (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:unit_move", "unit",   (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:unit_deactivate", "unit", (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:unit_reactivate", "unit", (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:units", None,         (302, 302, 403, 200, 302, 403, 403, 302, 302)),
    ("GET", "console:members", None,        (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("POST", "console:members", None,       (302, 200, 200, 200, 200, 403, 200, 302, 302)),
    ("GET", "console:member_new", None,     (302, 200, 200, 200, 200, 403, 403, 302, 302)),
    ("POST", "console:member_new", None,    (302, 302, 302, 200, 302, 403, 403, 302, 302)),
    ("GET", "console:member", "member",     (302, 200, 200, 404, 200, 200, 200, 302, 302)),
    ("POST", "console:member_reveal", "member", (302, 200, 200, 404, 200, 403, 200, 302, 302)),
    ("POST", "console:member_edit", "member", (302, 302, 302, 404, 302, 403, 403, 302, 302)),
    ("POST", "console:member_move", "member", (302, 302, 404, 404, 302, 403, 403, 302, 302)),
    ("GET", "console:corrections", None,    (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("POST", "console:correction_refuse", "correction",
                                            (302, 302, 302, 404, 302, 403, 403, 302, 302)),
    ("GET", "console:enrollments", None,    (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("GET", "console:deduction_feedback", None,
                                            (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    # Each gets its own scope's workbook, masked (SPEC D8, S1, S2); the export is audited.
    ("GET", "console:deduction_feedback_download", None,
                                            (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    # Starts the failure SMS job: the district's finance and admin only.
    ("POST", "console:deduction_failure_notices", None,
                                            (302, 403, 403, 403, 302, 302, 403, 302, 302)),
    ("GET", "console:held", None,           (302, 200, 403, 200, 200, 403, 403, 302, 302)),
    # The payload names a member held under 湖塘镇 and 湖塘镇's first union.
    ("POST", "console:held", None,          (302, 302, 403, 404, 302, 403, 403, 302, 302)),
    ("GET", "console:member_enrollments", "member",
                                            (302, 200, 200, 404, 200, 200, 200, 302, 302)),
    ("POST", "console:member_enrollments", "member",
                                            (302, 302, 302, 404, 302, 403, 403, 302, 302)),
    ("POST", "console:members_export", None, (302, 302, 302, 302, 302, 403, 403, 302, 302)),
    ("GET", "console:roster_export", None,  (302, 200, 200, 200, 200, 403, 403, 302, 302)),
    # The payload names 湖塘镇甲公司工会: another unit's for 牛塘镇's admin.
    ("POST", "console:roster_export", None, (302, 200, 200, 404, 200, 403, 403, 302, 302)),
    ("GET", "console:roster_forms", None,   (302, 200, 200, 200, 200, 403, 403, 302, 302)),
    ("GET", "console:member_form", "member", (302, 200, 200, 404, 200, 403, 403, 302, 302)),
    ("GET", "console:jobs", None,           (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("GET", "console:job", "job",           (302, 200, 404, 404, 200, 404, 200, 302, 302)),
    ("GET", "console:job_progress", "job",  (302, 200, 404, 404, 200, 404, 200, 302, 302)),
    ("GET", "console:stored_file", "file",  (302, 200, 404, 404, 200, 200, 200, 302, 302)),
    ("GET", "console:roster_upload", None,  (302, 200, 200, 200, 200, 403, 403, 302, 302)),
    # The payload names 湖塘镇's first union (the clerk's own).
    ("POST", "console:roster_upload", None, (302, 302, 302, 404, 302, 403, 403, 302, 302)),
    ("GET", "console:roster_preview", "checked_roster",
                                            (302, 200, 200, 404, 200, 200, 200, 302, 302)),
    ("POST", "console:roster_confirm", "checked_roster",
                                            (302, 302, 302, 404, 302, 403, 403, 302, 302)),
    ("POST", "console:roster_cancel", "checked_roster",
                                            (302, 302, 302, 404, 302, 403, 403, 302, 302)),
    ("GET", "console:audit", None,          (302, 403, 403, 403, 200, 403, 200, 302, 302)),
    ("GET", "console:bank_notices", None,   (302, 403, 403, 403, 200, 403, 200, 302, 302)),
    # Finance (SPEC §12): finance and the district admin; the auditor reads; nobody else.
    ("GET", "console:finance_batches", None, (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    # The payload asks for 2022's batch: a build job is started for those allowed.
    ("POST", "console:finance_batches", None,
                                            (302, 403, 403, 403, 302, 302, 403, 302, 302)),
    ("GET", "console:finance_batch", "batch", (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    # The payload is the bank's result for the batch: its application job is started.
    ("POST", "console:finance_batch", "batch",
                                            (302, 403, 403, 403, 302, 302, 403, 302, 302)),
    ("GET", "console:finance_request_file", "batch",
                                            (302, 403, 403, 403, 200, 200, 403, 302, 302)),
    ("GET", "console:finance_refunds", None, (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    ("GET", "console:finance_refund_made", "refund",
                                            (302, 403, 403, 403, 200, 200, 403, 302, 302)),
    ("POST", "console:finance_refund_made", "refund",
                                            (302, 403, 403, 403, 302, 302, 403, 302, 302)),
    # Claims (SPEC C2, C3, S1, S5): every staff role reads those of its scope; the service
    # agency (not among these personas) and the district admin review; the district admin
    # gives second approvals. "claim" is 张三's claim, submitted: only starting the review
    # is open, the other actions are refused by its state and write nothing.
    ("GET", "console:claims", None,         (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("GET", "console:claim", "claim",       (302, 200, 200, 404, 200, 200, 200, 302, 302)),
    ("GET", "console:claim_document", "claim_document",
                                            (302, 200, 200, 404, 200, 200, 200, 302, 302)),
    ("POST", "console:claim_start_review", "claim",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:claim_exclusions", "claim",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:claim_return", "claim",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:claim_reject", "claim",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:claim_settlement", "claim",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:claim_approve", "claim",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:claim_second_approve", "claim",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:claim_send_back", "claim",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    # Recovery (B-X3): opened by reviewers on a paid claim ("claim" is only submitted, so it
    # is refused by its state); cases are read in scope; finance records repayments.
    ("POST", "console:claim_recover", "claim",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    # A union's staff send more for a returned claim on the member's behalf ("claim" is only
    # submitted: refused by its state, nothing written).
    ("POST", "console:claim_resend", "claim",
                                            (302, 302, 302, 404, 302, 403, 403, 302, 302)),
    ("GET", "console:recoveries", None,     (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("POST", "console:recovery_repay", "recovery",
                                            (302, 403, 403, 403, 302, 302, 403, 302, 302)),
    # Payouts (SPEC C4): finance and the district admin; the auditor reads; nobody else.
    ("GET", "console:finance_payouts", None, (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    # Builds a payout batch (nothing approved: nothing is written).
    ("POST", "console:finance_payouts", None,
                                            (302, 403, 403, 403, 302, 302, 403, 302, 302)),
    ("GET", "console:finance_payout", "payout_batch",
                                            (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    # The payload is the simulated bank's result for the batch: it is applied.
    ("POST", "console:finance_payout", "payout_batch",
                                            (302, 403, 403, 403, 302, 302, 403, 302, 302)),
    ("GET", "console:finance_payout_request_file", "payout_batch",
                                            (302, 403, 403, 403, 200, 200, 403, 302, 302)),
    ("GET", "console:finance_payout_follow_up", None,
                                            (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    # Putting a followed-up claim back for payment: finance and the district admin ("claim" is
    # only submitted, so the service refuses it and nothing is written).
    ("POST", "console:finance_payout_release", "claim",
                                            (302, 403, 403, 403, 302, 302, 403, 302, 302)),
    ("GET", "console:calculator", None,     (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("GET", "console:policies", None,       (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("GET", "console:policy", "policy",     (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("GET", "console:users", None,          (302, 403, 403, 403, 200, 403, 403, 302, 302)),
    ("POST", "console:users", None,         (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:user_unlock", "user", (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:user_reset_second_factor", "user",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:user_reset_password", "user",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:user_disable", "user", (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:user_enable", "user", (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:address_unlock", None, (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("GET", "console:rosters", None,        (302, 200, 200, 200, 200, 200, 200, 302, 302)),
    ("GET", "console:roster", "roster",     (302, 200, 200, 404, 200, 200, 200, 302, 302)),
    ("GET", "console:roster_file", "roster", (302, 200, 200, 404, 200, 200, 200, 302, 302)),
    ("GET", "console:roster_errors", "roster",
                                            (302, 200, 200, 404, 200, 200, 200, 302, 302)),
    ("POST", "console:roster_approve", "roster",
                                            (302, 302, 403, 404, 302, 403, 403, 302, 302)),
    ("POST", "console:roster_return", "roster",
                                            (302, 302, 403, 404, 302, 403, 403, 302, 302)),
    # The roster awaits approval: the district admin is told the town's forms go to the
    # service agency (whose user is not among these personas), and nothing is written.
    ("POST", "console:roster_collect", "roster",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("POST", "console:unit_forms_route", "organizing",
                                            (302, 403, 403, 403, 302, 403, 403, 302, 302)),
    ("GET", "console:ledger", None,         (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    ("GET", "console:ledger_days", None,    (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    ("GET", "console:ledger_reconcile", None, (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    ("GET", "console:ledger_correct", "ledger_entry",
                                            (302, 403, 403, 403, 200, 200, 403, 302, 302)),
    ("POST", "console:ledger_correct", "ledger_entry",
                                            (302, 403, 403, 403, 302, 302, 403, 302, 302)),
    # Claim statistics (SPEC §12): the district admin, finance and the auditor read them.
    ("GET", "console:claim_statistics", None, (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    ("GET", "console:claim_statistics_xlsx", None,
                                            (302, 403, 403, 403, 200, 200, 200, 302, 302)),
    ("GET", "portal:home", None,            (302, 302, 302, 302, 302, 302, 302, 200, 200)),
    ("GET", "portal:login", None,           (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("POST", "portal:logout", None,         (302, 302, 302, 302, 302, 302, 302, 302, 302)),
    ("GET", "portal:me", None,              (302, 302, 302, 302, 302, 302, 302, 200, 200)),
    # The payload names 张三's record: 李四 asking for it is answered as missing.
    ("POST", "portal:correction", None,     (302, 302, 302, 302, 302, 302, 302, 302, 404)),
    ("GET", "portal:enrollments", None,     (302, 302, 302, 302, 302, 302, 302, 200, 200)),
    ("POST", "portal:enrollment_renew", None, (302, 302, 302, 302, 302, 302, 302, 302, 404)),
    ("GET", "portal:enrollment_revoke", "enrollment",
                                            (302, 302, 302, 302, 302, 302, 302, 200, 404)),
    ("POST", "portal:enrollment_revoke", "enrollment",
                                            (302, 302, 302, 302, 302, 302, 302, 302, 404)),
    ("GET", "portal:bank_signing", "member_year",
                                            (302, 302, 302, 302, 302, 302, 302, 200, 404)),
    ("POST", "portal:bank_signing", "member_year",
                                            (302, 302, 302, 302, 302, 302, 302, 200, 404)),
    ("GET", "portal:calculator", None,      (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "portal:claims", None,          (302, 302, 302, 302, 302, 302, 302, 200, 200)),
    ("GET", "portal:claim_new", None,       (302, 302, 302, 302, 302, 302, 302, 200, 200)),
    # The payload names 张三's record: 李四 asking for it is answered as missing.
    ("POST", "portal:claim_new", None,      (302, 302, 302, 302, 302, 302, 302, 200, 404)),
    ("GET", "portal:claim", "claim",        (302, 302, 302, 302, 302, 302, 302, 200, 404)),
    # 张三's claim is submitted, not returned: nothing can be added to it (409).
    ("POST", "portal:claim_resend", "claim", (302, 302, 302, 302, 302, 302, 302, 409, 404)),
    ("GET", "portal:claim_document", "claim_document",
                                            (302, 302, 302, 302, 302, 302, 302, 200, 404)),
    # SPEC C1: a union clerk (or an admin above, or the agency) submits for a member in scope.
    ("GET", "console:member_claim_new", "member",
                                            (302, 200, 200, 404, 200, 403, 403, 302, 302)),
    ("POST", "console:member_claim_new", "member",
                                            (302, 200, 200, 404, 200, 403, 403, 302, 302)),
]
# fmt: on

# Tables a refused request may still write: the session, the audit log (a refusal may be
# recorded), sign-in attempts and rate counters.
BOOKKEEPING = {"django_session", "audit_auditevent", "huzhu_ratecounter"}


def _cases():
    for method, name, argument, statuses in MATRIX:
        for persona, status in zip(PERSONAS, statuses, strict=True):
            yield pytest.param(
                method, name, argument, persona, status, id=f"{method}-{name}-{persona}"
            )


def _payload(name, tree, people):
    """Data that would change something if the request were let through."""
    if name == "console:password_change":
        return {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-password-2026",
            "new_password2": "a-new-long-password-2026",
        }
    if name == "console:members":
        # A full ID number: finance may not search by it (SPEC S2).
        return {"q": make_id_number()}
    if name == "console:member_enrollments":
        return {"year": 2022, "signed_on": "2021-11-01"}
    if name == "portal:enrollment_renew":
        # 张三 was not paid in 2021: refused by E4 for him, and not his record for 李四.
        return {"member": people.member.pk, "year": 2022}
    if name == "console:roster_export":
        # 张三 is enrolled: the export is written (and audited) for those allowed.
        enrollment_services.sign(
            member=people.member,
            year=2022,
            channel="paper",
            signed_on=datetime.date(2021, 11, 1),
            source="console",
            actor=None,
        )
        return {"year": 2022, "unit": tree.hutang_union.pk}
    if name == "console:recovery_repay":
        return {"amount": "10", "memo": "退回"}
    if name == "console:address_unlock":
        return {"address": "203.0.113.9"}
    if name == "console:unit_rename":
        return {"name": "湖塘镇丁公司工会"}
    if name == "console:unit_move":
        return {"parent": tree.niutang.pk}
    if name == "console:units":
        return {"name": "湖塘镇新工会", "parent": tree.hutang.pk}
    if name == "console:member_new":
        return {
            "name": "赵六",
            "id_number": make_id_number(),
            "phone": "13700009999",
            "union_card": "6231660000000007777",
            "unit": tree.hutang_union.pk,
            "has_basic_insurance": "on",
            "insurance_scope": "jiangsu",
        }
    if name == "console:member_edit":
        return {
            "name": "张叁",
            "phone": "13700008888",
            "union_card": "",
            "employer_name": "湖塘镇甲公司",
            "has_basic_insurance": "on",
            "insurance_scope": "jiangsu",
        }
    if name == "console:member_move":
        return {"unit": tree.hutang_union_b.pk}
    if name == "console:correction_refuse":
        return {"reason": "与身份证一致"}
    if name == "console:held":
        held = create_member(
            actor=None,
            unit=tree.hutang,
            data=MemberInput(
                name="赵六",
                id_number=make_id_number("19880808"),
                phone="13600001234",
                union_card="6231660000000007777",
            ),
            holding=True,
        )
        return {"member": [held.pk], "unit": tree.hutang_union.pk}
    if name == "portal:claim_new":
        return {"member": people.member.pk, "action": "estimate"}
    if name == "portal:claim_resend":
        return {"note": "补充说明"}
    if name == "console:member_claim_new":
        return {"action": "estimate"}
    if name == "portal:correction":
        return {"member": people.member.pk, "field": "phone", "text": "手机号换了"}
    if name == "console:users":
        return {
            "username": "intruder",
            "role": Role.DISTRICT_ADMIN,
            "unit": tree.district.pk,
            "password": "a-long-password-2022",
        }
    if name == "console:union_targets":
        return {f"union-{tree.hutang_union.pk}": "5"}
    if name == "console:roster_return":
        return {"reason": "缺少职工签字"}
    if name == "console:roster_collect":
        return {"collected_on": datetime.date.today().isoformat(), "count": 1}
    if name == "console:unit_forms_route":
        return {"route": "district"}
    if name == "console:ledger_correct":
        return {"amount": "-1.00", "reason": "银行对账单更正"}
    if name == "console:roster_upload":
        content = roster_files.xlsx(roster_files.sheet_rows([roster_files.person(1)]))
        return {
            "unit": tree.hutang_union.pk,
            "year": 2022,
            "kind": "new",
            "signed_on": "2021-11-01",
            "file": SimpleUploadedFile("roster.xlsx", content),
        }
    if name.startswith("console:claim_"):
        return {"reason": "材料不全", "exclusions-0": ["intoxication"]}
    if name == "console:finance_batches":
        return {"year": "2022"}
    if name == "console:finance_batch":
        batch = DeductionBatch.objects.get()
        return {"file": SimpleUploadedFile("result.txt", payment_files.result_file(batch))}
    if name == "console:finance_payout":
        batch = PayoutBatch.objects.get()
        content = answer_payout_file(payout_services.request_content(batch))
        return {"file": SimpleUploadedFile("result.txt", content)}
    if name == "console:targets_import":
        path = Path(huzhu.__file__).parent / "data" / "targets-2022.csv"
        return {"file": SimpleUploadedFile("targets-2022.csv", path.read_bytes())}
    return {}


def _checked_roster(tree, people):
    """湖塘镇's first union's roster, checked and waiting for confirmation."""
    stored = store_generated(
        actor=people.hutang_clerk,
        content=roster_files.xlsx(roster_files.sheet_rows([roster_files.person(1)])),
        name="roster.xlsx",
        unit_path=tree.hutang_union.path,
        kind=file_kinds.XLSX,
    ).file
    return RosterUpload.objects.create(
        year=2022,
        kind="new",
        unit=tree.hutang_union,
        unit_path=tree.hutang_union.path,
        file=stored,
        signed_on=datetime.date(2021, 11, 1),
        source="console",
        uploaded_by=people.hutang_clerk,
        uploaded_at=timezone.now(),
        status="checked",
        review="awaiting",
    )


def _signed_2022(people):
    return enrollment_services.sign(
        member=people.member,
        year=2022,
        channel="paper",
        signed_on=datetime.date(2021, 11, 1),
        source="console",
        actor=None,
    ).enrollment


def _batch(people):
    _signed_2022(people)
    return create_batch(year=2022, actor=None)


def _claim(people):
    """张三's 2022 hospitalization claim, paid for and submitted with its documents."""
    enrollment_services.mark_paid(enrollment=_signed_2022(people), actor=None)
    return claim_helpers.submit(people.member)


def _claim_document(people):
    claim = _claim(people)
    return [claim.pk, claim.documents.first().pk]


def _payout_batch(people):
    """张三's approved 2022 claim (written as the review leaves it) in a payout batch."""
    enrollment = Enrollment.objects.filter(member=people.member, year=2022).first()
    if enrollment is None:
        enrollment = _signed_2022(people)
    if enrollment.state != "paid":
        enrollment_services.mark_paid(enrollment=enrollment, actor=None)
    Claim.objects.create(
        member=people.member,
        enrollment=enrollment,
        year=2022,
        benefit="hospitalization",
        state="approved",
        facts={},
        event_on=datetime.date(2022, 3, 1),
        unit_path=enrollment.unit_path,
        organizing_unit=enrollment.organizing_unit,
        amount=Decimal("1000.00"),
        submitted_at=timezone.now(),
        decided_at=timezone.now(),
    )
    return payout_services.create_payout_batch(actor=None)


def _refund(people):
    return Refund.objects.create(
        enrollment=_signed_2022(people),
        amount=Decimal("30.00"),
        reason="自助缴费与批次扣款重复",
        source=RefundSource.SELF_PAYMENT,
        created_at=timezone.now(),
    )


def _recovery(people, claim=None):
    """An open recovery case of 30 yuan on 张三's claim (湖塘镇's first union)."""
    claim = claim or _claim(people)
    return RecoveryCase.objects.create(
        claim=claim,
        member=people.member,
        year=2022,
        amount=Decimal("30.00"),
        reason="挂床",
        method="repayment",
        unit_path=claim.unit_path,
        opened_at=timezone.now(),
    )


def _table_counts():
    counts = {}
    for model in apps.get_models():
        table = model._meta.db_table
        if table in BOOKKEEPING or table.startswith("axes_"):
            continue
        counts[table] = model._default_manager.count()
    return counts


@pytest.fixture
def finance(tree):
    return make_user("finance", Role.FINANCE, tree.district, second_factor=True)


def _become(client, persona, people, finance):
    if persona == "anonymous":
        return
    if persona in ("member", "other_member"):
        session = client.session
        session[SESSION_KEY] = [getattr(people, persona).pk]
        session.save()
        return
    sign_in(client, finance if persona == "finance" else getattr(people, persona))


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "name", "argument", "persona", "status"), list(_cases()))
def test_s1_each_persona_gets_the_expected_answer(
    client, people, tree, finance, method, name, argument, persona, status
):
    args = {
        None: [],
        "member": [people.member.pk],
        "member_year": [people.member.pk, 2022],
        "policy": [PolicyVersion.objects.order_by("pk").values_list("pk", flat=True).first()],
        "user": [people.hutang_clerk.pk],
        "unit": [tree.hutang_union_b.pk],
        "organizing": [tree.hutang.pk],
        "job": lambda: [start_job(actor=people.hutang_admin, kind=kinds.MEMBERS_EXPORT).pk],
        "correction": lambda: [
            request_correction(member=people.member, field="name", text="名字写错了").pk
        ],
        "enrollment": lambda: [
            enrollment_services.sign(
                member=people.member,
                year=2022,
                channel="paper",
                signed_on=datetime.date(2021, 11, 1),
                source="console",
                actor=None,
            ).enrollment.pk
        ],
        "roster": lambda: [
            make_roster(
                unit=tree.hutang_union,
                uploader=people.hutang_clerk,
                members=[people.member],
                errors=True,
            ).pk
        ],
        "checked_roster": lambda: [_checked_roster(tree, people).pk],
        "ledger_entry": lambda: [
            LedgerEntry.objects.create(
                kind=EntryKind.FEE_INCOME,
                amount=30,
                year=2022,
                booked_on=datetime.date(2021, 12, 1),
                recorded_at=timezone.now(),
                reference="T-1",
            ).pk
        ],
        "batch": lambda: [_batch(people).pk],
        "claim": lambda: [_claim(people).pk],
        "claim_document": lambda: _claim_document(people),
        "refund": lambda: [_refund(people).pk],
        "recovery": lambda: [_recovery(people).pk],
        "payout_batch": lambda: [_payout_batch(people).pk],
        "file": lambda: [
            store_generated(
                actor=people.hutang_admin,
                content=b"a,b\n",
                name="a.csv",
                unit_path=tree.hutang.path,
                kind=file_kinds.CSV,
            ).file.pk
        ],
    }[argument]
    if callable(args):
        args = args()
    _become(client, persona, people, finance)
    url = reverse(name, args=args)
    if method == "GET":
        response = client.get(url)
        assert response.status_code == status, (name, persona)
        return
    payload = _payload(name, tree, people)
    before = _table_counts()
    response = client.post(url, payload)
    assert response.status_code == status, (name, persona)
    if not _is_allowed_write(name, persona):
        assert _table_counts() == before, f"{persona} changed data through {name}"


def _is_allowed_write(name, persona):
    """The POSTs that succeed for this persona (the rest must change nothing)."""
    editors = {"hutang_admin", "hutang_clerk", "niutang_admin", "district_admin"}
    allowed = {
        "console:units": {"hutang_admin", "district_admin"},
        "console:member_new": editors,
        "console:member_edit": {"hutang_admin", "hutang_clerk", "district_admin"},
        "console:member_move": {"hutang_admin", "district_admin"},
        "console:held": {"hutang_admin", "district_admin"},
        "console:correction_refuse": {"hutang_admin", "hutang_clerk", "district_admin"},
        "portal:correction": {"member"},
        "console:member_enrollments": {"hutang_admin", "hutang_clerk", "district_admin"},
        "portal:enrollment_revoke": {"member"},
        # The simulated bank's notice is kept even when refused (outside the window today).
        "portal:bank_signing": {"member"},
        "console:members_export": editors,
        "console:deduction_failure_notices": {"district_admin", "finance"},
        "console:targets_import": {"district_admin"},
        "console:roster_upload": {"hutang_admin", "hutang_clerk", "district_admin"},
        "console:roster_confirm": {"hutang_admin", "hutang_clerk", "district_admin"},
        "console:roster_cancel": {"hutang_admin", "hutang_clerk", "district_admin"},
        "console:union_targets": {"hutang_admin", "district_admin"},
        "console:ledger_correct": {"district_admin", "finance"},
        "console:users": {"district_admin"},
        "console:unit_rename": {"district_admin"},
        "console:unit_move": {"district_admin"},
        "console:unit_deactivate": {"district_admin"},
        "console:unit_reactivate": {"district_admin"},
        "console:user_unlock": {"district_admin"},
        "console:user_reset_second_factor": {"district_admin"},
        "console:user_reset_password": {"district_admin"},
        "console:user_disable": {"district_admin"},
        "console:user_enable": {"district_admin"},
        "console:address_unlock": {"district_admin"},
        "console:roster_approve": {"hutang_admin", "district_admin"},
        "console:roster_return": {"hutang_admin", "district_admin"},
        "console:unit_forms_route": {"district_admin"},
        "console:finance_batches": {"district_admin", "finance"},
        "console:finance_batch": {"district_admin", "finance"},
        "console:finance_refund_made": {"district_admin", "finance"},
        "console:claim_start_review": {"district_admin"},
        "console:recovery_repay": {"district_admin", "finance"},
        "console:finance_payouts": {"district_admin", "finance"},
        "console:finance_payout": {"district_admin", "finance"},
        "console:password_change": set(STAFF),
        # Signing out writes nothing but the session.
        "console:logout": set(PERSONAS),
        "portal:logout": set(PERSONAS),
    }
    return persona in allowed.get(name, set())


def _names(resolver, namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_page_is_in_the_matrix():
    pages = {n for n in _names(get_resolver()) if n.startswith(("console:", "portal:"))}
    assert pages - {name for _, name, _, _ in MATRIX} == set()
