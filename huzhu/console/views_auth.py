"""Staff sign-in: password (with lockout by django-axes), then TOTP for the roles that
need it (django-otp), and the staff user's own password."""

import base64
import io

import qrcode
import qrcode.image.svg
from axes.helpers import get_failure_limit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from huzhu.accounts import roles
from huzhu.accounts.lockout import lock_minutes
from huzhu.accounts.selectors import confirmed_device, pending_device
from huzhu.accounts.services import (
    SecondFactorError,
    change_password,
    redeem_enrolment_code,
    verify_second_factor,
)
from huzhu.console.access import staff_view
from huzhu.console.forms import add_errors

# The authenticator being enrolled in this session, once the enrolment code was accepted.
ENROLMENT_SESSION_KEY = "huzhu_enrolment_device"


def _lockout_context() -> dict:
    return {"failures": settings.AXES_FAILURE_LIMIT, "minutes": lock_minutes()}


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_lockout_context()}


class LogoutView(auth_views.LogoutView):
    next_page = "console:login"


def locked_out(request, original_response=None, credentials=None):
    """axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE)."""
    context = {**_lockout_context(), "failure_limit": get_failure_limit(request, credentials)}
    return render(
        request,
        "console/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


def _next_url(request) -> str:
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "console:dashboard"
    return target


@never_cache  # the enrolment step shows the authenticator's key
@require_http_methods(["GET", "POST"])
def otp_view(request):
    """Three steps: the enrolment code from the district admin (a new authenticator only),
    then the QR code and the first authenticator code; afterwards just the code."""
    user = request.user
    if not user.is_authenticated:
        return redirect("console:login")
    if not roles.needs_second_factor(user.role) or user.is_verified():
        return redirect("console:dashboard")
    device = confirmed_device(user=user)
    step = "verify"
    if device is None:
        # The authenticator this session is enrolling, while its enrolment code holds.
        device = pending_device(user=user, pk=request.session.get(ENROLMENT_SESSION_KEY))
        step = "scan" if device is not None else "enrolment_code"
    error = ""
    if request.method == "POST":
        try:
            if step == "enrolment_code":
                device = redeem_enrolment_code(
                    user=user, code=request.POST.get("enrolment_code", ""), request=request
                )
                request.session[ENROLMENT_SESSION_KEY] = device.pk
                return redirect(request.get_full_path())
            assert device is not None
            verify_second_factor(
                user=user, device=device, token=request.POST.get("code", ""), request=request
            )
        except SecondFactorError as exc:
            error = exc.message
        else:
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            otp_login(request, device)
            return redirect(_next_url(request))
    context = {"step": step, "error": error}
    if step == "scan" and device is not None:
        context["secret"] = base64.b32encode(device.bin_key).decode()
        context["qr_svg"] = _qr_svg(device.config_url)
    return render(request, "console/otp.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_view(password_change=True)
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change_password(
                actor=request.user, password=form.cleaned_data["new_password1"], request=request
            )
        except ValidationError as exc:
            add_errors(form, exc.message_dict)
        else:
            # Keep this session; the password change ends every other one.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("console:dashboard")
    return render(request, "console/password_change.html", {"form": form})
