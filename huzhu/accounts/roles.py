"""Staff roles (SPEC §0) and what each may do. One table, read by the access checks."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("district admin")
    ORG_ADMIN = "org_admin", _("organizing-unit admin")
    GRASSROOTS_CLERK = "grassroots_clerk", _("grassroots clerk")
    AGENCY = "agency", _("service agency")
    FINANCE = "finance", _("finance")
    AUDITOR = "auditor", _("auditor")


# The unit kinds a role may be attached to; scope is always that unit's subtree, so a
# role attached to the district sees everything (SPEC S1).
ROLE_UNIT_KINDS = {
    Role.DISTRICT_ADMIN: {"district"},
    Role.FINANCE: {"district"},
    Role.AUDITOR: {"district"},
    Role.AGENCY: {"district", "organizing"},
    Role.ORG_ADMIN: {"organizing"},
    Role.GRASSROOTS_CLERK: {"grassroots"},
}

SECOND_FACTOR_ROLES = {Role.DISTRICT_ADMIN, Role.FINANCE}
FULL_IDENTITY_ROLES = {
    Role.DISTRICT_ADMIN,
    Role.ORG_ADMIN,
    Role.GRASSROOTS_CLERK,
    Role.AGENCY,
    Role.AUDITOR,
}
TARGET_EDITOR_ROLES = {Role.DISTRICT_ADMIN}
AUDIT_READER_ROLES = {Role.DISTRICT_ADMIN, Role.AUDITOR}
# SPEC §0: the auditor reads everything, and every access is logged.
PAGE_VIEW_LOGGED_ROLES = {Role.AUDITOR}


def needs_second_factor(role: str) -> bool:
    return role in SECOND_FACTOR_ROLES


def can_view_full_identity(role: str) -> bool:
    return role in FULL_IDENTITY_ROLES


def can_edit_targets(role: str) -> bool:
    return role in TARGET_EDITOR_ROLES


def can_split_targets(role: str) -> bool:
    """Split an organizing unit's target among its grassroots unions: that unit's admin, or
    the district admin for any of them (scope decides which unit)."""
    return role in {Role.DISTRICT_ADMIN, Role.ORG_ADMIN}


def can_read_audit(role: str) -> bool:
    return role in AUDIT_READER_ROLES


def logs_page_views(role: str) -> bool:
    return role in PAGE_VIEW_LOGGED_ROLES


# Who registers members and adds units under their own unit (auditors only read).
EDITOR_ROLES = {Role.DISTRICT_ADMIN, Role.ORG_ADMIN, Role.GRASSROOTS_CLERK, Role.AGENCY}


def can_edit_members(role: str) -> bool:
    return role in EDITOR_ROLES


def can_edit_units(role: str) -> bool:
    return role in {Role.DISTRICT_ADMIN, Role.ORG_ADMIN}


def can_manage_users(role: str) -> bool:
    return role == Role.DISTRICT_ADMIN


def can_assign_held(role: str) -> bool:
    """Assign online signers held under an organizing unit to a grassroots union (SPEC §7a):
    the admins whose scope holds organizing units."""
    return role in {Role.DISTRICT_ADMIN, Role.ORG_ADMIN}


def can_correct_units(role: str) -> bool:
    """Rename, move, deactivate and reactivate units: the district admin only."""
    return role == Role.DISTRICT_ADMIN


def can_export_members(role: str) -> bool:
    """Export the member list (masked) in the background: those who register members."""
    return role in EDITOR_ROLES


def sees_every_job(role: str) -> bool:
    """The background jobs of everyone in scope, not only one's own: the district's
    admin and auditor (jobs are work done on the district's data)."""
    return role in AUDIT_READER_ROLES


def can_review_rosters(role: str) -> bool:
    """Approve or return a grassroots union's roster (SPEC E6): its organizing unit's admin,
    or the district admin (scope decides which rosters)."""
    return role in {Role.DISTRICT_ADMIN, Role.ORG_ADMIN}


def can_record_collection(role: str) -> bool:
    """Record that an approved roster's paper forms were collected (SPEC E6): the service
    agency, or the district admin for the units that hand them to the district; which of the
    two for a given roster is the organizing unit's route (Unit.paper_forms_route)."""
    return role in {Role.AGENCY, Role.DISTRICT_ADMIN}


def can_upload_rosters(role: str) -> bool:
    """Hand in a roster in the console (SPEC E6): a grassroots union's clerk for it, an
    organizing unit's or the district's admin for a grassroots union in scope."""
    return role in {Role.DISTRICT_ADMIN, Role.ORG_ADMIN, Role.GRASSROOTS_CLERK}


# SPEC §12: finance builds deduction batches and records refunds; the district admin may do
# everything finance does; the auditor reads it.
FINANCE_ROLES = {Role.DISTRICT_ADMIN, Role.FINANCE}


def can_read_finance(role: str) -> bool:
    """The deduction batches, refunds and fund ledger pages (SPEC §12 Finance): read-only
    for auditors."""
    return role in FINANCE_ROLES or role == Role.AUDITOR


def can_do_finance(role: str) -> bool:
    """Build a batch, download its request file (full ID and card numbers), upload the
    bank's result, send the failure SMS, mark a refund made, correct a ledger entry
    (SPEC D3–D9)."""
    return role in FINANCE_ROLES


# SPEC §0, §9, §12: the service agency reviews claims, the district admin too and gives the
# second approval of large ones (C3); every staff role reads the claims of its own subtree.
CLAIM_REVIEWER_ROLES = {Role.AGENCY, Role.DISTRICT_ADMIN}


def can_read_claims(role: str) -> bool:
    """The claims queue and a claim's page, scoped to the user's unit subtree (SPEC S1);
    the auditor reads them like everything else."""
    return role in Role.values


def can_review_claims(role: str) -> bool:
    """Start a review, record exclusions, return, reject, ask for settlement, approve."""
    return role in CLAIM_REVIEWER_ROLES


def can_see_claim_signals(role: str) -> bool:
    """SPEC C6: the signals are for reviewers (and the auditor, who reads everything). They
    name other claims with the same invoice number, wherever they are: to a clerk, who
    types invoice numbers into claims, they would answer whether anyone else claimed one."""
    return role in CLAIM_REVIEWER_ROLES or role == Role.AUDITOR


def can_second_approve(role: str) -> bool:
    """The second approval of a claim of 5,000 or more, or sending it back (SPEC C3)."""
    return role == Role.DISTRICT_ADMIN


# SPEC C1, §12: a union clerk submits a claim for a member; the admins above the clerk and
# the service agency may too. Finance and the auditor do not (scope decides which members).
CLAIM_SUBMITTER_ROLES = {Role.DISTRICT_ADMIN, Role.ORG_ADMIN, Role.GRASSROOTS_CLERK, Role.AGENCY}


def can_submit_claims(role: str) -> bool:
    """Submit a claim in the console for a member in scope (the user is the claim's
    `submitted_by`, so they cannot approve it: C3)."""
    return role in CLAIM_SUBMITTER_ROLES


def can_read_claim_statistics(role: str) -> bool:
    """The year's claim statistics and loss ratio (SPEC §12 district admin): the district
    admin, the auditor, and finance (whose ledger the loss ratio is read from)."""
    return role in {Role.DISTRICT_ADMIN, Role.AUDITOR, Role.FINANCE}
