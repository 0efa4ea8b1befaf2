"""Two guards around every view: input no view should ever see, and the app's own 405.

`InputGuardMiddleware` answers 400 (the app's page) before any view runs when the query
string or a form field's name or value holds a NUL or a lone surrogate. PostgreSQL refuses
NUL in any text it is sent, and neither character belongs in anything a person types, so
each view's own checks are backed by this one (uploaded files are not read here: their
content is checked by the code that reads them).

`MethodNotAllowedMiddleware` replaces the bare 405 of Django's `require_http_methods` and of
django-ninja (an empty page, or "Method not allowed" as text/html) with the app's page, JSON
under /api/ (huzhu/errors.py), keeping the Allow header.
"""

from collections.abc import Iterable

from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError

from huzhu import errors


def refused_characters(text: str) -> bool:
    """NUL, or a surrogate code point (only lone ones can reach a Python str)."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def _fields(data: QueryDict) -> Iterable[str]:
    for key, values in data.lists():
        yield key
        yield from values


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        try:
            refused = self._refused(request)
        except MultiPartParserError as exc:
            # A broken multipart body: Django would raise the same from request.POST in
            # the CSRF check, and answer 500.
            return errors.bad_request(request, exc)
        if refused:
            return errors.bad_request(request, ValueError("NUL or lone surrogate in the input"))
        return self.get_response(request)

    @staticmethod
    def _refused(request: HttpRequest) -> bool:
        texts: list[Iterable[str]] = [(request.path,), _fields(request.GET)]
        # The API reads JSON bodies (its own parser refuses bad text); forms are read here
        # only for the pages, which is where Django parses them anyway.
        if request.method == "POST" and not request.path_info.startswith(errors.API_PREFIX):
            texts.append(_fields(request.POST))
        return any(refused_characters(text) for group in texts for text in group)


class MethodNotAllowedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if response.status_code != 405:
            return response
        return errors.method_not_allowed(request, allow=response.get("Allow", ""))
