"""The JSON API under /api/v1/, described by /api/v1/openapi.json (django-ninja)."""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema

from huzhu import ratelimit
from huzhu.api import bank_schema, calculator_schema, member_enrollments
from huzhu.api.calculator_schema import MAX_BODY_BYTES, MAX_CASES
from huzhu.audit.services import client_ip
from huzhu.bank import adapters
from huzhu.bank import services as bank_services
from huzhu.calcfront.answers import calculate_payload
from huzhu.policy.calculator import CalculatorInputError
from huzhu.policy.cases import CaseError
from huzhu.policy.jsontext import load_json
from huzhu.policy.selectors import current_policies

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="huzhu API",
    version="1",
    openapi_url="/openapi.json",
    # The interactive docs page loads its scripts from a CDN; the union intranet has none.
    docs_url=None,
    urls_namespace="api",
)


def calculator_rate() -> int:
    """Calculator requests a minute from one address for callers not signed in."""
    return getattr(settings, "HUZHU_CALCULATOR_API_RATE", 60)


class Health(Schema):
    status: str
    database: str


@api.get(
    "/health",
    summary="Health check",
    description="200 when the application answers and its database does; 503 otherwise. "
    "No sign-in; says nothing about why.",
    response={200: Health, 503: Health},
)
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        # The reason goes to the log, never to whoever asked.
        logger.exception("Health check: the database does not answer")
        return api.create_response(
            request, {"status": "error", "database": "unavailable"}, status=503
        )
    return {"status": "ok", "database": "ok"}


def _json(data, status: int, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse(
        data,
        status=status,
        safe=False,
        headers=headers,
        json_dumps_params={"ensure_ascii": False},
    )


def _unprocessable(errors: list[dict]) -> JsonResponse:
    return _json({"errors": errors}, 422)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@api.post(
    "/calculator",
    summary="Benefit calculator (SPEC §10)",
    description=calculator_schema.description(calculator_rate()),
    openapi_extra={
        "requestBody": calculator_schema.REQUEST,
        "responses": calculator_schema.RESPONSES,
    },
)
def calculator(request: HttpRequest):
    if not request.user.is_authenticated:
        verdict = ratelimit.hit(
            f"api:calc:{client_ip(request)}", limit=calculator_rate(), window=60
        )
        if not verdict.allowed:
            return _json(
                {
                    "code": "rate_limited",
                    "message": _(
                        "Too many calculator requests from this address. Try again in "
                        "%(seconds)s seconds."
                    )
                    % {"seconds": verdict.retry_after},
                },
                429,
                headers={"Retry-After": str(verdict.retry_after)},
            )
    # Refused before the body is read: the declared length is all the server needs.
    if _declared_length(request) > MAX_BODY_BYTES:
        return _json(
            {
                "code": "body_too_large",
                "message": _(
                    "The request is larger than %(size)s KiB. For bulk calculations use the "
                    "“huzhu calc” command."
                )
                % {"size": MAX_BODY_BYTES // 1024},
            },
            413,
        )
    try:
        payload = load_json(request.body or b"null")
    except CaseError as exc:
        return _unprocessable([{"index": exc.index, "field": exc.field, "message": exc.message}])
    if isinstance(payload, list) and len(payload) > MAX_CASES:
        return _unprocessable(
            [
                {
                    "index": MAX_CASES,
                    "field": "",
                    "message": _(
                        "At most %(count)s cases in one request. For bulk calculations use "
                        "the “huzhu calc” command."
                    )
                    % {"count": MAX_CASES},
                }
            ]
        )
    try:
        answer = calculate_payload(payload, current_policies())
    except CalculatorInputError as exc:
        return _unprocessable(exc.errors)
    return _json(answer, 200)


def _notice_too_large() -> JsonResponse:
    return _json(
        {
            "code": "body_too_large",
            "message": _("The notice is larger than %(size)s KiB.")
            % {"size": bank_schema.MAX_BODY_BYTES // 1024},
        },
        413,
    )


@api.post(
    "/bank/notices",
    summary="Bank notice (SPEC §7a)",
    description=bank_schema.DESCRIPTION,
    openapi_extra={
        "parameters": bank_schema.PARAMETERS,
        "requestBody": bank_schema.REQUEST,
        "responses": bank_schema.RESPONSES,
    },
)
def bank_notice(request: HttpRequest):
    # Refused from the declared length before the body is read and HMAC'd, and again on the
    # bytes actually read (a declared length may be missing or wrong).
    if _declared_length(request) > bank_schema.MAX_BODY_BYTES:
        return _notice_too_large()
    if len(request.body) > bank_schema.MAX_BODY_BYTES:
        return _notice_too_large()
    try:
        notice = adapters.default_adapter.verify(request)
    except adapters.Unauthorized as exc:
        return _json({"code": exc.code, "message": exc.message}, 401)
    except adapters.Invalid as exc:
        return _json({"code": "invalid", "field": exc.field, "message": exc.message}, 422)
    received = bank_services.receive(notice=notice, raw_body=request.body)
    if received.status == "refused":
        return _json({"code": received.code, "message": received.message}, 409)
    answer = {"status": received.status}
    if received.enrollment is not None:
        answer["enrollment_state"] = received.enrollment.state
    return _json(answer, 200)


@api.get(
    "/members/me/enrollments",
    summary="The signed-in members' enrollments",
    description=member_enrollments.DESCRIPTION,
    response={200: member_enrollments.MyEnrollments, 401: member_enrollments.ApiError},
)
def my_enrollments(request: HttpRequest):
    return member_enrollments.my_enrollments(request)
