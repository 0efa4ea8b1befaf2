"""The names of audit events: stored as stable English codes, shown in Chinese.

Every `record_event(action=...)` passes one of these; the audit page shows the label and
filters by it, so an auditor can search 查看完整信息 rather than `member.reveal`.
"""

from django.apps import apps
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # Staff sign-in (SPEC S4)
    SIGN_IN = "auth.sign_in", _("sign-in")
    SIGN_IN_FAILED = "auth.sign_in_failed", _("failed sign-in")
    LOCKED_OUT = "auth.locked_out", _("account locked")
    ADDRESS_UNLOCK = "auth.address_unlock", _("address unlocked")
    SECOND_FACTOR = "auth.second_factor", _("second-factor check passed")
    SECOND_FACTOR_FAILED = "auth.second_factor_failed", _("wrong second-factor code")
    SECOND_FACTOR_ENROLLED = "auth.second_factor_enrolled", _("authenticator enrolled")
    PASSWORD_CHANGED = "auth.password_changed", _("password changed")
    # Staff accounts
    USER_CREATE = "user.create", _("staff user created")
    USER_UNLOCK = "user.unlock", _("staff user unlocked")
    USER_RESET_SECOND_FACTOR = "user.reset_second_factor", _("authenticator reset")
    ENROLMENT_CODE_ISSUED = "user.enrolment_code", _("authenticator enrolment code issued")
    USER_DISABLE = "user.disable", _("staff user disabled")
    USER_ENABLE = "user.enable", _("staff user enabled")
    USER_RESET_PASSWORD = "user.reset_password", _("password reset")
    # Members (SPEC S2)
    MEMBER_CREATE = "member.create", _("member registered")
    MEMBER_REVEAL = "member.reveal", _("full identity viewed")
    MEMBER_SEARCH_NUMBER = "member.search_number", _("search by full number")
    MEMBER_SEARCH_NUMBER_REFUSED = (
        "member.search_number_refused",
        _("search by full number refused"),
    )
    MEMBER_REVEAL_REFUSED = "member.reveal_refused", _("full identity view refused")
    # A registration met an ID or card number held by a member outside the user's scope.
    MEMBER_NUMBER_ELSEWHERE = "member.number_elsewhere", _("number registered in another unit")
    MEMBER_SIGN_IN = "member.sign_in", _("member sign-in")
    MEMBER_UPDATE = "member.update", _("member details changed")
    MEMBER_MOVE = "member.move", _("member moved to another grassroots union")
    CORRECTION_REQUEST = "member.correction_request", _("correction asked by the member")
    CORRECTION_CONFIRM = "member.correction_confirm", _("correction confirmed")
    CORRECTION_REFUSE = "member.correction_refuse", _("correction refused")
    # Units and targets
    UNIT_CREATE = "unit.create", _("unit added")
    UNIT_RENAME = "unit.rename", _("unit renamed")
    UNIT_MOVE = "unit.move", _("unit moved")
    UNIT_DEACTIVATE = "unit.deactivate", _("unit deactivated")
    UNIT_REACTIVATE = "unit.reactivate", _("unit reactivated")
    TARGETS_IMPORT = "targets.import", _("targets imported")
    TARGETS_EXPORT = "targets.export", _("targets exported")
    UNION_TARGETS_SET = "targets.union_split", _("targets split among grassroots unions")
    # Files (SPEC S3, S5)
    UPLOAD = "upload", _("file uploaded")
    UPLOAD_REJECTED = "upload.rejected", _("upload refused")
    FILE_DOWNLOAD = "file.download", _("stored file downloaded")
    # Background jobs: one event per job, with its counts (the rows are in the job's table)
    JOB_SUCCEEDED = "job.succeeded", _("background job finished")
    JOB_FAILED = "job.failed", _("background job failed")
    # Policy
    POLICY_LOAD = "policy.load", _("policy loaded")
    # Enrollment (SPEC E1–E5)
    ENROLLMENT_SIGN = "enrollment.sign", _("enrollment signed")
    ENROLLMENT_RENEW = "enrollment.renew", _("enrollment renewed")
    ENROLLMENT_REVOKE = "enrollment.revoke", _("authorization revoked")
    ENROLLMENT_STATE = "enrollment.state", _("enrollment state changed")
    ENROLLMENT_ASSIGN = "enrollment.assign", _("held online signers assigned to a union")
    # Rosters: the union's roster written out, authorization forms printed (SPEC X8, X9)
    DEDUCTION_BATCH = "deduction.batch", _("deduction batch built")
    DEDUCTION_RESULT = "deduction.result", _("deduction result applied")
    REFUND_MADE = "refund.made", _("refund marked made")
    # The fund ledger (SPEC D9): corrections are new entries; lapsing after the deadline
    LEDGER_CORRECTION = "ledger.correction", _("ledger entry corrected")
    ENROLLMENT_LAPSE = "enrollment.lapse", _("unpaid enrollments lapsed")
    # The request file holds every item's full ID and card numbers (SPEC S2, S3).
    DEDUCTION_REQUEST_DOWNLOAD = (
        "deduction.request_download",
        _("deduction request file downloaded (full numbers)"),
    )
    # Deduction feedback (SPEC D8)
    DEDUCTION_FEEDBACK_EXPORT = "deduction.feedback_export", _("deduction feedback exported")
    DEDUCTION_FAILURE_NOTICES = "deduction.failure_notices", _("deduction failure SMS sent")
    ROSTER_EXPORT = "roster.export", _("roster exported")
    ROSTER_FORMS = "roster.forms", _("authorization forms printed")
    # Roster approval and the collection of the paper forms (SPEC E6)
    ROSTER_APPROVE = "roster.approve", _("roster approved")
    ROSTER_RETURN = "roster.return", _("roster returned")
    ROSTER_COLLECT = "roster.collect", _("paper forms collected")
    UNIT_FORMS_ROUTE = "unit.forms_route", _("route of paper forms changed")
    # Rosters (SPEC E6, X1–X7)
    ROSTER_IMPORT = "roster.import", _("roster imported")
    ROSTER_CANCEL = "roster.cancel", _("roster upload cancelled")
    # Claims (SPEC §9, B-X3)
    CLAIM_SUBMIT = "claim.submit", _("claim submitted")
    CLAIM_CHANGE = "claim.change", _("claim state changed")
    CLAIM_FACTS = "claim.facts", _("claim facts or exclusions recorded")
    CLAIM_DOCUMENT = "claim.document", _("claim document added")
    PAYOUT_BATCH = "payout.batch", _("payout batch built")
    PAYOUT_RESULT = "payout.result", _("payout result applied")
    PAYOUT_REQUEST_DOWNLOAD = (
        "payout.request_download",
        _("payout request file downloaded (full numbers)"),
    )
    RECOVERY_OPEN = "recovery.open", _("recovery opened")
    RECOVERY_PAYMENT = "recovery.payment", _("recovery payment recorded")
    CLAIMS_EXPORT = "claims.export", _("claim statistics exported")
    # Reading (SPEC §0: every access of an auditor is logged)
    PAGE_VIEW = "page.view", _("page viewed")
    # Operations
    BACKUP = "backup", _("backup")
    RESTORE = "restore", _("restore")


def label(code: str) -> str:
    """The Chinese label of a stored code; an unknown (older) code is shown as it is."""
    try:
        return str(Action(code).label)
    except ValueError:
        return code


def codes_matching(words: str) -> list[str]:
    """The codes whose label or code contains `words`, for the audit page's filter."""
    words = words.strip()
    return [a.value for a in Action if words in str(a.label) or a.value.startswith(words)]


def object_type_label(object_type: str) -> str:
    """`members.member` → 职工: the verbose name of the model an audit row is about. Models
    without a verbose name of their own carry Django's English default (`unit`, `policy
    version`), which the catalog translates too. An unknown type is shown as stored."""
    if not object_type:
        return ""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return gettext(str(model._meta.verbose_name))
