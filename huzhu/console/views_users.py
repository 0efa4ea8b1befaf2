"""Staff users and roles, for the district admin (SPEC §12)."""

import ipaddress

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from huzhu.accounts import roles
from huzhu.accounts.lockout import locked_addresses
from huzhu.accounts.models import User
from huzhu.accounts.selectors import staff_rows, staff_units, staff_user
from huzhu.accounts.services import (
    AccountError,
    create_staff_user,
    disable_user,
    enable_user,
    reset_password,
    reset_second_factor,
    unlock_address,
    unlock_user,
)
from huzhu.console.access import require, staff_view
from huzhu.console.forms import add_errors
from huzhu.org.models import Unit

# A secret to hand over (enrolment code, temporary password), kept in the server-side
# session from the POST until the next page shows it once. Never in a message cookie.
HANDOVER_SESSION_KEY = "huzhu_handover"


class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    display_name = forms.CharField(
        label=gettext_lazy("Display name"), max_length=50, required=False
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=roles.Role.choices)
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none())
    password = forms.CharField(
        label=gettext_lazy("Initial password"), widget=forms.PasswordInput, max_length=128
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = units


def _hand_over(request, user: User, *, enrolment_code=None, password: str = "") -> None:
    request.session[HANDOVER_SESSION_KEY] = {
        "username": user.username,
        "enrolment_code": enrolment_code.code if enrolment_code else "",
        "expires_at": (
            f"{timezone.localtime(enrolment_code.expires_at):%Y-%m-%d %H:%M}"
            if enrolment_code
            else ""
        ),
        "password": password,
    }


@never_cache  # the page may show an enrolment code or a temporary password
@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_manage_users)
def users(request):
    form = UserForm(request.POST or None, units=staff_units(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            created, code = create_staff_user(
                actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc.message_dict)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": created.username})
            if code is not None:
                _hand_over(request, created, enrolment_code=code)
            return redirect("console:users")
    rows = staff_rows(user=request.user)
    handover = request.session.pop(HANDOVER_SESSION_KEY, None)
    return render(
        request,
        "console/users.html",
        {"rows": rows, "form": form, "handover": handover, "addresses": locked_addresses()},
    )


def _user(request, pk: int) -> User:
    return staff_user(user=request.user, pk=pk)


@require_POST
@staff_view
@require(roles.can_manage_users)
def user_unlock(request, pk: int):
    user = _user(request, pk)
    unlock_user(actor=request.user, user=user, request=request)
    messages.success(request, _("User %(name)s unlocked.") % {"name": user.username})
    return redirect("console:users")


@require_POST
@staff_view
@require(roles.can_manage_users)
def address_unlock(request):
    try:
        address = str(ipaddress.ip_address(request.POST.get("address", "").strip()))
    except ValueError:
        messages.error(request, _("Address: not an IP address."))
        return redirect("console:users")
    unlock_address(actor=request.user, address=address, request=request)
    messages.success(request, _("Address %(address)s unlocked.") % {"address": address})
    return redirect("console:users")


@require_POST
@staff_view
@require(roles.can_manage_users)
def user_reset_second_factor(request, pk: int):
    user = _user(request, pk)
    if not roles.needs_second_factor(user.role):
        messages.error(request, _("This role signs in without a second factor."))
        return redirect("console:users")
    code = reset_second_factor(actor=request.user, user=user, request=request)
    _hand_over(request, user, enrolment_code=code)
    return redirect("console:users")


@require_POST
@staff_view
@require(roles.can_manage_users)
def user_reset_password(request, pk: int):
    user = _user(request, pk)
    if user.pk == request.user.pk:
        return redirect("console:password_change")
    password = reset_password(actor=request.user, user=user, request=request)
    _hand_over(request, user, password=password)
    return redirect("console:users")


@require_POST
@staff_view
@require(roles.can_manage_users)
def user_disable(request, pk: int):
    user = _user(request, pk)
    try:
        disable_user(actor=request.user, user=user, request=request)
    except AccountError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("User %(name)s disabled.") % {"name": user.username})
    return redirect("console:users")


@require_POST
@staff_view
@require(roles.can_manage_users)
def user_enable(request, pk: int):
    user = _user(request, pk)
    enable_user(actor=request.user, user=user, request=request)
    messages.success(request, _("User %(name)s enabled.") % {"name": user.username})
    return redirect("console:users")
