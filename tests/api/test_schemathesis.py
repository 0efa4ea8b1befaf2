"""schemathesis against /api/v1/openapi.json, in-process through the WSGI application.

It sends what the document calls valid and what it calls invalid, and fails on any 500, any
answer that does not match the documented responses, any valid request refused and any
invalid request accepted. Bounded and derandomized: a few seconds, the same cases each run.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from huzhu.calcfront.answers import calculate_payload
from huzhu.policy.cases import MAX_STAYS
from huzhu.policy.jsontext import load_json
from huzhu.policy.selectors import current_policies

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Django closes the database connection at the end of each request; inside a test's
    # transaction that would end the test's own connection (on PostgreSQL). Django's test
    # client turns this off in the same way; schemathesis calls the WSGI handler itself.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    # Hundreds of requests from one address in a few seconds: the limit has its own tests.
    settings.HUZHU_CALCULATOR_API_RATE = 1_000_000


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_openapi_document_says(case):
    case.call_and_validate()


@pytest.mark.django_db
def test_every_accepted_case_has_a_short_explanation():
    policies = current_policies()
    operation = schema["/api/v1/calculator"]["POST"]
    longest = {"line": 0, "lines": 0}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        # Every case the document calls valid is answered: no rule is left out of it.
        answer = calculate_payload(load_json(json.dumps(case.body)), policies)
        for result in answer if isinstance(answer, list) else [answer]:
            lines = result["explanation"]
            longest["lines"] = max(longest["lines"], len(lines))
            longest["line"] = max([longest["line"], *map(len, lines)])
            assert len(lines) <= MAX_STAYS + 5
            assert all(len(line) <= 300 for line in lines), lines

    check()
    assert longest["lines"] > 1  # the strategy did produce answers
