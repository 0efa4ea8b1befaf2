"""Member portal (mobile-first): sign in with phone number and a one-time code."""

from functools import wraps

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huzhu.audit.services import client_ip
from huzhu.calcfront.pages import benefit_summary, calculator_context
from huzhu.members.models import CorrectionField
from huzhu.members.selectors import member_corrections, signed_in_members
from huzhu.members.services import (
    CORRECTION_TEXT_MAX,
    CorrectionError,
    SignInError,
    request_correction,
    request_login_code,
    verify_login_code,
)
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


def _me_page(request, *, errors=None, form_member=None, posted=None, status=200, sent=False):
    requests_by_member: dict[int, list] = {}
    for correction in member_corrections(members=request.members):
        requests_by_member.setdefault(correction.member_id, []).append(correction)
    rows = [
        {
            "member": m,
            "requests": requests_by_member.get(m.pk, []),
            "errors": errors if form_member == m.pk else None,
            "non_field": (errors or {}).get("__all__") if form_member == m.pk else None,
            "posted": posted if form_member == m.pk else None,
        }
        for m in request.members
    ]
    context = {
        "members": request.members,
        "rows": rows,
        "tab": "me",
        "fields": CorrectionField.choices,
        "text_max": CORRECTION_TEXT_MAX,
        "sent": sent,
    }
    return render(request, "portal/me.html", context, status=status)


@require_GET
@member_view
def me(request):
    return _me_page(request, sent=request.GET.get("sent") == "1")


@require_POST
@member_view
def correction(request):
    """我的信息 → 申请更正: the member describes what is wrong; their union answers."""
    raw = request.POST.get("member", "")
    chosen = next((m for m in request.members if raw.isdigit() and m.pk == int(raw)), None)
    if chosen is None:
        raise Http404  # only the signed-in members' own records
    field = request.POST.get("field", "")
    text = request.POST.get("text", "")
    try:
        request_correction(member=chosen, field=field, text=text, request=request)
    except CorrectionError as exc:
        return _me_page(
            request,
            errors=exc.errors,
            form_member=chosen.pk,
            posted={"field": field, "text": text[: CORRECTION_TEXT_MAX * 2]},
            status=exc.status,
        )
    return redirect(reverse("portal:me") + "?sent=1")
