"""Staff sign-in: password (with lockout by django-axes), then TOTP for the roles that
need it (django-otp)."""

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts import roles
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = "console:login"


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


@require_http_methods(["GET", "POST"])
def otp_view(request):
    user = request.user
    if not user.is_authenticated:
        return redirect("console:login")
    if not roles.needs_second_factor(user.role) or user.is_verified():
        return redirect("console:dashboard")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setup = device is None
    if setup:
        # One pending device per user, so reloading the page keeps the same key.
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, confirmed=False, defaults={"name": "authenticator"}
        )
    error = ""
    if request.method == "POST":
        if device.verify_token(request.POST.get("code", "").strip()):
            if setup:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record_event(
                    action=Action.SECOND_FACTOR_ENROLLED,
                    actor=user,
                    target=user,
                    request=request,
                    unit_path=user.unit_path,
                )
            otp_login(request, device)
            record_event(
                action=Action.SECOND_FACTOR,
                actor=user,
                target=user,
                request=request,
                unit_path=user.unit_path,
            )
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = "console:dashboard"
            return redirect(target)
        error = _("The code is wrong or has expired.")
    context = {"setup": setup, "error": error}
    if setup:
        context["secret"] = base64.b32encode(device.bin_key).decode()
        context["qr_svg"] = _qr_svg(device.config_url)
    return render(request, "console/otp.html", context)
