"""Member portal (mobile-first): sign in with phone number and a one-time code."""

from functools import wraps

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from huzhu.audit.services import client_ip
from huzhu.calcfront.pages import benefit_summary, calculator_context
from huzhu.members.selectors import signed_in_members
from huzhu.members.services import SignInError, request_login_code, verify_login_code
from huzhu.policy.selectors import current_policies

SESSION_KEY = "member_ids"


def member_view(view):
    """The signed-in member(s): several records can share one phone (a family)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        members = signed_in_members(member_ids=request.session.get(SESSION_KEY) or [])
        if not members:
            return redirect("portal:login")
        request.members = members
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
def login(request):
    context = {"phone": "", "sent": False, "error": "", "notice": ""}
    if request.method == "POST":
        phone = request.POST.get("phone", "")
        context["phone"] = phone
        try:
            if request.POST.get("action") == "send":
                request_login_code(phone=phone, ip=client_ip(request))
                context["sent"] = True
                context["notice"] = _(
                    "If this number is registered with the scheme, a code is on its way "
                    "by text message. It is valid for 5 minutes."
                )
            else:
                members = verify_login_code(
                    phone=phone, code=request.POST.get("code", ""), request=request
                )
                request.session.cycle_key()
                request.session[SESSION_KEY] = [m.pk for m in members]
                return redirect("portal:home")
        except SignInError as exc:
            context["error"] = exc.message
            context["sent"] = request.POST.get("action") != "send"
    return render(request, "portal/login.html", context)


@require_POST
def logout(request):
    request.session.flush()
    return redirect("portal:login")


@member_view
def home(request):
    return render(
        request,
        "portal/home.html",
        {
            "members": request.members,
            "tab": "home",
            "benefits": benefit_summary(current_policies()),
        },
    )


@require_http_methods(["GET", "POST"])
def calculator(request):
    """补助试算: open to anyone; it reads no personal data."""
    members = signed_in_members(member_ids=request.session.get(SESSION_KEY) or [])
    context = calculator_context(request)
    return render(request, "portal/calculator.html", {**context, "members": members, "tab": "calc"})


@member_view
def me(request):
    return render(request, "portal/me.html", {"members": request.members, "tab": "me"})
