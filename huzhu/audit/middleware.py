"""SPEC §0: the auditor reads everything, and every access is logged.

Every request of a signed-in auditor writes a `page.view` row once it is answered: pages,
refused ones (403), unknown addresses (404), wrong methods (405), refused input (400) and
redirects alike, with the status. A decorator on the views could not see the addresses no
view answers, so this is the one place. The row holds the path and the names of the query
parameters, never their values: a query may carry what was searched for (SPEC S2).
"""

from django.http import HttpRequest

from huzhu.accounts import roles
from huzhu.accounts.models import User
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event


def _printable(path: str) -> str:
    # The input guard refuses such a path with 400, and that answer is logged too: NUL and
    # lone surrogates are written escaped (PostgreSQL stores no NUL in text).
    return path.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


class PageViewMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        # Who asked, before the view runs: signing out replaces request.user.
        user = request.user
        logged = isinstance(user, User) and roles.logs_page_views(user.role)
        response = self.get_response(request)
        if logged and isinstance(user, User):
            record_event(
                action=Action.PAGE_VIEW,
                actor=user,
                request=request,
                unit_path=user.unit_path,
                summary=_printable(request.path)[:500],
                data={
                    "method": request.method,
                    "params": sorted(_printable(key)[:100] for key in request.GET.keys()),
                    "status": response.status_code,
                },
            )
        return response
