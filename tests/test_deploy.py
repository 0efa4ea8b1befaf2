"""Deployment settings (SPEC S6): with HTTPS switched on and everything else at its default,
Django's deploy check is clean; the headers that make it so reach the browser."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

import huzhu
from tests.conftest import sign_in

TEMPLATES = Path(huzhu.__file__).parent / "templates"


def run_huzhu_python(code: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh process with only the given environment: settings are read once
    per process, at import."""
    base = {"PATH": os.environ["PATH"], "HOME": str(data_dir), "PYTHONPATH": os.getcwd()}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "HUZHU_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_s6_deploy_check_is_clean_with_https_on_and_generated_keys(tmp_path):
    result = run_huzhu_python(
        "from huzhu.__main__ import main; main(['check', '--deploy', '--fail-level', 'WARNING'])",
        tmp_path,
        HUZHU_SECURE_COOKIES="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert len((tmp_path / "keys" / "secret_key").read_text().strip()) >= 50


def test_s6_deploy_check_still_warns_with_https_off(tmp_path):
    # The switch matters: without it the same check names what is missing.
    result = run_huzhu_python(
        "from huzhu.__main__ import main; main(['check', '--deploy', '--fail-level', 'WARNING'])",
        tmp_path,
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


HTTPS_PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
plain = client.get("/console/login/")
proxied = client.get("/console/login/", HTTP_X_FORWARDED_PROTO="https")
health = client.get("/api/v1/health")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "proxied": [proxied.status_code, proxied.get("Strict-Transport-Security", "")],
    "cookie_secure": bool(proxied.cookies["csrftoken"]["secure"]),
    "health": health.status_code,
}))
"""


def test_s6_with_https_on_plain_http_is_redirected_and_hsts_sent(tmp_path):
    result = run_huzhu_python(
        HTTPS_PROBE, tmp_path, HUZHU_SECURE_COOKIES="1", DJANGO_SETTINGS_MODULE="huzhu.settings"
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://localhost/console/login/"]
    status, hsts = seen["proxied"]
    assert status == 200
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert seen["cookie_secure"] is True
    # A monitor on the inside probes over plain HTTP: not redirected.
    assert seen["health"] == 200


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_allowances(client):
    response = client.get(reverse("console:login"))
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert response["X-Frame-Options"] == "DENY"


INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_hold_no_inline_script_or_style_the_policy_would_block():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        for pattern, what in INLINE
        if pattern.search(line)
    ]
    assert found == []


@pytest.mark.django_db
def test_s2_the_full_identity_fragment_is_never_stored_by_a_cache(client, people):
    sign_in(client, people.hutang_admin)
    response = client.post(reverse("console:member_reveal", args=[people.member.pk]))
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control


@pytest.mark.django_db
def test_s2_the_masked_member_page_may_be_cached_normally(client, people):
    # no-store is for full numbers only; it is not sprayed on every page by accident.
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:member", args=[people.member.pk]))
    assert "no-store" not in response.get("Cache-Control", "")
