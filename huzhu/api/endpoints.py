"""The JSON API under /api/v1/, described by /api/v1/openapi.json (django-ninja)."""

import json
import logging
from decimal import Decimal

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema

from huzhu.api import calculator_schema
from huzhu.policy.calculator import CalculatorInputError, calculate_payload
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


def _unprocessable(errors: list[dict]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=422, json_dumps_params={"ensure_ascii": False})


@api.post(
    "/calculator",
    summary="Benefit calculator (SPEC §10)",
    description="One case object or an array of them; amounts are yuan as strings or numbers.",
    openapi_extra={
        "requestBody": calculator_schema.REQUEST,
        "responses": calculator_schema.RESPONSES,
    },
)
def calculator(request: HttpRequest):
    try:
        # Decimal, never float, from the request body to the answer.
        payload = json.loads(request.body or b"null", parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _unprocessable(
            [{"index": 0, "field": "", "message": _("Not valid JSON: %(error)s") % {"error": exc}}]
        )
    try:
        answer = calculate_payload(payload, current_policies())
    except CalculatorInputError as exc:
        return _unprocessable(exc.errors)
    return JsonResponse(answer, safe=False, json_dumps_params={"ensure_ascii": False})
