"""The app's own error answers: 400, 403, 404, 405, 500 and a failed CSRF check.

Pages are in Chinese, look like the rest of the app and offer a way back (the portal's home
under /m/, the console elsewhere); under /api/ the answer is JSON with a stable code.

They are rendered without the request: no context processors, no session, no user, no
database. A 500 often means the database is the thing that failed, and the page that says
so must not fail with it.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# The path prefixes of the front doors (huzhu/urls.py).
API_PREFIX = "/api/"
PORTAL_PREFIX = "/m/"

# The last resort when even the template cannot be rendered (a broken static manifest, a
# missing template in a damaged install): plain HTML, nothing looked up.
BARE_500 = (
    '<!doctype html><html lang="zh-Hans"><meta charset="utf-8">'
    "<title>服务器出错</title><h1>服务器出错</h1><p>错误已记录，请稍后再试。</p>"
    '<p><a href="/">返回首页</a></p></html>'
)


def _texts(status: int, request: HttpRequest) -> tuple[str, str, str]:
    """The stable code, the title and the explanation of an error status."""
    if status == 400:
        return (
            "bad_request",
            _("The request could not be understood"),
            _("The address or the form sent was not valid. Go back and try again."),
        )
    if status == 403:
        return (
            "forbidden",
            _("You may not open this page"),
            _("Your account does not have permission for this page or action."),
        )
    if status == 404:
        if request.path_info.startswith(PORTAL_PREFIX):
            # A member sees only their own records: units mean nothing to them.
            return ("not_found", _("Page not found"), _("This page does not exist."))
        return (
            "not_found",
            _("Page not found"),
            _("This page does not exist, or it belongs to a unit you cannot see."),
        )
    if status == 405:
        if request.path_info.startswith(API_PREFIX):
            return (
                "method_not_allowed",
                _("Method not allowed"),
                _(
                    "This address does not accept this request method; the Allow header "
                    "lists the ones it does."
                ),
            )
        return (
            "method_not_allowed",
            _("This page cannot be opened this way"),
            _("This address only answers the buttons and forms of its page. Go back and use them."),
        )
    return (
        "server_error",
        _("Something went wrong on our side"),
        _("The error has been recorded. Please try again later."),
    )


def _render(request: HttpRequest, status: int, texts: tuple[str, str, str]) -> HttpResponse:
    code, title, message = texts
    path = request.path_info
    if path.startswith(API_PREFIX):
        return JsonResponse(
            {"code": code, "message": message},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    portal = path.startswith(PORTAL_PREFIX)
    context = {
        "status": status,
        "title": title,
        "message": message,
        "portal": portal,
        "back_url": reverse("portal:home") if portal else reverse("console:dashboard"),
        "back_label": _("Back to the home page") if portal else _("Back to the console"),
    }
    html: str
    try:
        html = render_to_string("errors/error.html", context)
    except Exception:
        if status != 500:
            raise
        logger.exception("The error page itself could not be rendered")
        html = BARE_500
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _render(request, 400, _texts(400, request))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _render(request, 403, _texts(403, request))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _render(request, 404, _texts(404, request))


def method_not_allowed(request: HttpRequest, allow: str = "") -> HttpResponse:
    """Django and django-ninja answer a wrong method with a bare English 405; the
    middleware (huzhu.middleware) puts this in its place, keeping the Allow header."""
    response = _render(request, 405, _texts(405, request))
    if allow:
        response["Allow"] = allow
    return response


def file_gone(request: HttpRequest) -> HttpResponse:
    """A stored file whose record is there but whose bytes are not (removed from the disk,
    or a restore without its files): 410, said plainly, rather than a 500."""
    texts = (
        "file_gone",
        _("The file is no longer available"),
        _(
            "The file is no longer in the file store on the server. Tell the district office; "
            "a job's result can be made again by starting the job again."
        ),
    )
    return _render(request, 410, texts)


def server_error(request: HttpRequest) -> HttpResponse:
    return _render(request, 500, _texts(500, request))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: most often a form left open past the session, or opened before
    signing in again in another tab. `reason` is logged by Django, not shown."""
    texts = (
        "csrf_failed",
        _("This form has expired"),
        _(
            "The page was open too long or you signed in again in another window. "
            "Go back, reload the page and send the form again."
        ),
    )
    return _render(request, 403, texts)
