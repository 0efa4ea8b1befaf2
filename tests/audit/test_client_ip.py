"""SPEC §13: behind a load balancer the client's address comes from the proxy header, and
only when the request really comes from a configured proxy (SPEC S3 "from where")."""

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse

from huzhu.audit.models import AuditEvent
from huzhu.audit.services import client_ip
from huzhu.members.models import LoginCode
from tests.conftest import PASSWORD

BALANCER = "10.0.0.2"
behind_balancer = override_settings(HUZHU_TRUSTED_PROXIES=["10.0.0.0/24"])


def request(remote, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_ip(request("198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9")) == "198.51.100.7"


@behind_balancer
def test_s13_the_client_address_comes_from_a_trusted_proxy_header():
    assert client_ip(request(BALANCER, HTTP_X_FORWARDED_FOR="203.0.113.9")) == "203.0.113.9"


@behind_balancer
def test_a_spoofed_header_from_an_untrusted_address_is_ignored():
    assert client_ip(request("198.51.100.7", HTTP_X_FORWARDED_FOR="10.0.0.9")) == "198.51.100.7"


@behind_balancer
def test_addresses_the_client_wrote_left_of_the_proxy_entry_are_ignored():
    # The client sent "X-Forwarded-For: 192.0.2.1"; the balancer appended what it saw.
    forged = request(BALANCER, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9")
    assert client_ip(forged) == "203.0.113.9"


@override_settings(HUZHU_TRUSTED_PROXIES=["10.0.0.0/24", "10.1.0.5"])
def test_a_chain_of_trusted_proxies_is_walked_to_the_client():
    chained = request(BALANCER, HTTP_X_FORWARDED_FOR="203.0.113.9, 10.1.0.5, 10.0.0.3")
    assert client_ip(chained) == "203.0.113.9"


@behind_balancer
def test_a_garbled_or_missing_header_falls_back_to_the_proxy_address():
    assert client_ip(request(BALANCER, HTTP_X_FORWARDED_FOR="not-an-address")) == BALANCER
    assert client_ip(request(BALANCER)) == BALANCER


@override_settings(HUZHU_TRUSTED_PROXIES=["10.0.0.2"], HUZHU_PROXY_HEADER="X-Real-IP")
def test_the_header_to_read_is_configurable():
    proxied = request(BALANCER, HTTP_X_REAL_IP="2001:db8::7", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert client_ip(proxied) == "2001:db8::7"


@pytest.mark.django_db
@behind_balancer
def test_s13_members_behind_the_balancer_do_not_share_the_per_address_code_limit(client, people):
    # 30 codes an hour per address: 31 members behind one balancer must all get theirs.
    for index in range(31):
        response = client.post(
            reverse("portal:login"),
            {"phone": f"1380000{index:04d}", "action": "send"},
            REMOTE_ADDR=BALANCER,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{index + 1}",
        )
        assert "获取验证码次数过多" not in response.content.decode()
    assert LoginCode.objects.count() == 31
    assert set(LoginCode.objects.values_list("ip", flat=True)) == {
        f"203.0.113.{index + 1}" for index in range(31)
    }


@pytest.mark.django_db
@behind_balancer
def test_s3_the_audit_log_records_the_client_not_the_balancer(client, people):
    client.post(
        reverse("console:login"),
        {"username": "hutang", "password": PASSWORD},
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR="203.0.113.50",
    )
    event = AuditEvent.objects.get(action="auth.sign_in")
    assert event.ip == "203.0.113.50"
