"""The health endpoint: 200 when the database answers, 503 when it does not, no sign-in and
nothing said about why."""

import json

import pytest

from tests.test_deploy import run_huzhu_python

# Nothing listens on port 1: the connection is refused at once.
UNREACHABLE = "postgres://huzhu@127.0.0.1:1/huzhu"

PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost", raise_request_exception=False)
health = client.get("/api/v1/health")
# A signed-in user's page: the session is read from the database, which is gone.
client.cookies["sessionid"] = "s" * 32
page = client.get("/console/")
print(json.dumps({
    "health": [health.status_code, health.json()],
    "page": [page.status_code, page.content.decode()],
}))
"""


@pytest.mark.django_db
def test_health_is_ok_without_signing_in_when_the_database_answers(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_unreachable_and_says_nothing_more(tmp_path):
    result = run_huzhu_python(
        PROBE, tmp_path, DATABASE_URL=UNREACHABLE, DJANGO_SETTINGS_MODULE="huzhu.settings"
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["health"] == [503, {"status": "error", "database": "unavailable"}]
    # The operator finds the reason in the log.
    assert "Health check: the database does not answer" in result.stderr
    assert "Connection refused" in result.stderr or "connection failed" in result.stderr


def test_the_500_page_renders_when_the_database_is_unreachable(tmp_path):
    result = run_huzhu_python(
        PROBE, tmp_path, DATABASE_URL=UNREACHABLE, DJANGO_SETTINGS_MODULE="huzhu.settings"
    )
    status, html = json.loads(result.stdout.strip().splitlines()[-1])["page"]
    assert status == 500
    assert "系统出错了" in html and 'href="/console/"' in html
    assert "Internal Server Error: /console/" in result.stderr
    assert "OperationalError" in result.stderr
