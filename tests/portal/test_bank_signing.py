"""Online signing from 我的参保 through the simulated bank (SPEC E3, §7a): the page builds,
signs and delivers the bank's notice through the notice endpoint's own view."""

import datetime

import pytest
from django.urls import reverse

from huzhu.bank import simulated_bank
from huzhu.bank.models import BankNotice, Outcome
from huzhu.dates import scheme_date
from huzhu.enrollment import services
from huzhu.enrollment.models import Authorization, Channel, Enrollment, Source, State
from huzhu.portal.views import SESSION_KEY

D = datetime.date
IN_2022 = D(2021, 11, 1)  # inside the 2022 online window (2021-10-11 to 2021-12-25)


@pytest.fixture
def today(monkeypatch):
    def set_day(day):
        monkeypatch.setattr("huzhu.portal.views_enrollment.scheme_today", lambda: day)

    return set_day


def as_member(client, member):
    session = client.session
    session[SESSION_KEY] = [member.pk]
    session.save()


def sign_url(member, year=2022):
    return reverse("portal:bank_signing", args=[member.pk, year])


@pytest.mark.django_db
def test_e3_a_member_signs_up_online_through_the_simulated_bank(client, people, today):
    today(IN_2022)
    member = people.member
    as_member(client, member)
    page = client.get(reverse("portal:enrollments")).content.decode()
    assert "网上签约" in page
    assert sign_url(member) in page

    bank = client.get(sign_url(member)).content.decode()
    assert "模拟银行App：工会互助签约" in bank
    assert "确认签约" in bank
    # Masked numbers only: the card and phone are decrypted on the server, never shown.
    assert member.union_card_masked in bank
    assert "6231660000000000001" not in bank
    assert "13812345678" not in bank
    assert member.phone_masked in bank
    assert member.id_number_masked in bank

    response = client.post(sign_url(member))
    assert response.status_code == 302
    assert response.url == reverse("portal:enrollments")
    enrollment = Enrollment.objects.get(member=member, year=2022)
    assert enrollment.state == State.AUTHORIZED
    authorization = Authorization.objects.get(enrollment=enrollment, active=True)
    assert authorization.channel == Channel.ONLINE
    assert authorization.source == Source.BANK_NOTICE
    # The notice went through the endpoint: kept, accepted, dated on the scheme day.
    notice = BankNotice.objects.get(member=member)
    assert notice.outcome == Outcome.ACCEPTED
    assert notice.enrollment == enrollment
    assert scheme_date(notice.occurred_at) == IN_2022
    assert notice.body_masked["member"]["union_card"] != "6231660000000000001"

    page = client.get(reverse("portal:enrollments")).content.decode()
    assert "已签约，待扣款" in page
    assert "银行已确认2022年度签约。" in page
    # Signed: no second offer for the year.
    assert sign_url(member) not in page


@pytest.mark.django_db
def test_e3_no_offer_outside_the_online_window_or_with_an_active_authorization(
    client, people, today
):
    as_member(client, people.member)
    today(D(2021, 12, 26))  # the day after the 2022 window
    assert sign_url(people.member) not in client.get(reverse("portal:enrollments")).content.decode()
    today(IN_2022)
    services.sign(
        member=people.member,
        year=2022,
        channel="paper",
        signed_on=IN_2022,
        source="console",
        actor=None,
    )
    page = client.get(reverse("portal:enrollments")).content.decode()
    assert sign_url(people.member) not in page


@pytest.mark.django_db
def test_7a_a_refusal_is_shown_in_chinese_on_the_bank_page(client, people, today):
    today(D(2021, 12, 26))  # outside the window: the endpoint answers 409
    as_member(client, people.member)
    response = client.post(sign_url(people.member))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="bank-refusal"' in page
    notice = BankNotice.objects.get()
    assert notice.outcome == Outcome.REFUSED
    assert notice.message in page
    assert notice.code == "outside_window"
    assert not Enrollment.objects.filter(member=people.member, year=2022).exists()


@pytest.mark.django_db
def test_7a_the_notice_is_signed_with_the_bank_secret(client, people, today, settings, monkeypatch):
    """The page signs with HUZHU_BANK_SECRET and the endpoint checks it: a page signing with
    another secret than the endpoint's would be refused 401 and change nothing."""
    today(IN_2022)
    as_member(client, people.member)
    real = settings.HUZHU_BANK_SECRET
    original = simulated_bank.signed_request

    def wrong_secret(notice, secret, timestamp=None):
        assert secret == real
        return original(notice, "not-the-bank-secret", timestamp)

    monkeypatch.setattr(simulated_bank, "signed_request", wrong_secret)
    response = client.post(sign_url(people.member))
    assert response.status_code == 200
    assert "签名" in response.content.decode()
    assert not BankNotice.objects.exists()
    assert not Enrollment.objects.filter(member=people.member).exists()


@pytest.mark.django_db
def test_s1_another_members_signing_page_is_404(client, people, today):
    today(IN_2022)
    as_member(client, people.other_member)
    assert client.get(sign_url(people.member)).status_code == 404
    assert client.post(sign_url(people.member)).status_code == 404
    assert not BankNotice.objects.exists()


@pytest.mark.django_db
def test_the_simulated_bank_is_404_when_the_setting_is_off(client, people, today, settings):
    settings.HUZHU_SIMULATED_BANK = False
    today(IN_2022)
    as_member(client, people.member)
    assert client.get(sign_url(people.member)).status_code == 404
    assert client.post(sign_url(people.member)).status_code == 404
    assert sign_url(people.member) not in client.get(reverse("portal:enrollments")).content.decode()
    assert not BankNotice.objects.exists()


def test_the_simulated_bank_is_off_by_default():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "HUZHU_SIMULATED_BANK"}
    env["DJANGO_SETTINGS_MODULE"] = "huzhu.settings"
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.HUZHU_SIMULATED_BANK)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"
