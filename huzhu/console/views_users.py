"""Staff users and roles, for the district admin (SPEC §12)."""

from axes.models import AccessAttempt
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts import roles
from huzhu.accounts.models import User
from huzhu.accounts.services import create_staff_user, reset_second_factor, unlock_user
from huzhu.console.access import require, staff_view
from huzhu.org.models import Unit


class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    display_name = forms.CharField(
        label=gettext_lazy("Display name"), max_length=50, required=False
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=roles.Role.choices)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"), queryset=Unit.objects.exclude(kind="employer")
    )
    password = forms.CharField(
        label=gettext_lazy("Initial password"), widget=forms.PasswordInput, max_length=128
    )


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_manage_users)
def users(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = create_staff_user(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": created.username})
            return redirect("console:users")
    locked = set(
        AccessAttempt.objects.filter(failures_since_start__gte=User.LOCKOUT_FAILURES).values_list(
            "username", flat=True
        )
    )
    enrolled = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    rows = [
        {"user": u, "locked": u.username in locked, "enrolled": u.pk in enrolled}
        for u in User.objects.select_related("unit").order_by("unit__path", "username")
    ]
    return render(request, "console/users.html", {"rows": rows, "form": form})


@require_POST
@staff_view
@require(roles.can_manage_users)
def user_unlock(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    unlock_user(actor=request.user, user=user, request=request)
    messages.success(request, _("User %(name)s unlocked.") % {"name": user.username})
    return redirect("console:users")


@require_POST
@staff_view
@require(roles.can_manage_users)
def user_reset_second_factor(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    reset_second_factor(actor=request.user, user=user, request=request)
    messages.success(
        request,
        _("%(name)s will set up a new authenticator at the next sign-in.")
        % {"name": user.username},
    )
    return redirect("console:users")
