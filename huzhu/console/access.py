"""The decorator every console view wears: signed in, a staff role, the second factor
where the role needs one (SPEC S4), and a password that is no longer the initial one.
The auditor's page views (SPEC §0) are logged by huzhu.audit.middleware, which also sees
the addresses no view answers."""

from functools import partial, wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect

from huzhu.accounts import roles
from huzhu.accounts.access import scope_path
from huzhu.org.models import Unit
from huzhu.org.paths import starts_with


def staff_view(view=None, *, password_change: bool = False):
    """`password_change=True` marks the one page a user who must replace an initial
    password may still open."""
    if view is None:
        return partial(staff_view, password_change=password_change)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.role or not user.unit_id:
            raise PermissionDenied
        if roles.needs_second_factor(user.role) and not user.is_verified():
            return redirect("console:otp")
        if user.must_change_password and not password_change:
            return redirect("console:password_change")
        return view(request, *args, **kwargs)

    return wrapper


def require(check):
    """Refuse the request unless `check(role)` holds, e.g. @require(roles.can_read_audit)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.user.role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def unit_filter(request) -> Unit | None:
    """The unit a list is narrowed to (`?unit=`): None when not asked for; a unit outside
    the user's scope, or not a number, is a 404 (SPEC S1)."""
    raw = request.GET.get("unit")
    if not raw:
        return None
    unit = None
    if raw.isascii() and raw.isdigit() and len(raw) <= 9:
        unit = Unit.objects.filter(starts_with("path", scope_path(request.user)), pk=raw).first()
    if unit is None:
        raise Http404
    return unit


def console_context(request):
    user = request.user
    role = getattr(user, "role", "") if user.is_authenticated else ""
    return {
        "can_read_audit": roles.can_read_audit(role),
        "can_edit_targets": roles.can_edit_targets(role),
        "can_split_targets": roles.can_split_targets(role),
        "can_view_full_identity": roles.can_view_full_identity(role),
        "can_edit_members": roles.can_edit_members(role),
        "can_manage_users": roles.can_manage_users(role),
        "can_assign_held": roles.can_assign_held(role),
        "can_upload_rosters": roles.can_upload_rosters(role),
        "can_read_finance": roles.can_read_finance(role),
        "can_read_claims": roles.can_read_claims(role),
        "can_review_claims": roles.can_review_claims(role),
        "can_second_approve": roles.can_second_approve(role),
        "can_submit_claims": roles.can_submit_claims(role),
        "can_read_claim_statistics": roles.can_read_claim_statistics(role),
    }
