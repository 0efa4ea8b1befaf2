"""The portal home page says what the scheme pays from the policy data (SPEC P1), not from
figures typed into the page."""

import copy

import pytest
from django.urls import reverse

from huzhu.policy.models import PolicyVersion
from huzhu.portal.views import SESSION_KEY


@pytest.fixture
def member_client(client, people):
    session = client.session
    session[SESSION_KEY] = [people.member.pk]
    session.save()
    return client


def home(client) -> str:
    return client.get(reverse("portal:home")).content.decode()


def new_version(year: int, change) -> None:
    latest = PolicyVersion.objects.filter(year=year).latest("version")
    document = copy.deepcopy(latest.document)
    change(document)
    PolicyVersion.objects.create(
        year=year,
        version=latest.version + 1,
        document=document,
        sha256="edited-" + latest.sha256[:50],
        source_name=latest.source_name,
    )


@pytest.mark.django_db
def test_p1_the_home_page_states_the_2022_amounts(member_client):
    html = home(member_client)
    assert "以下为 2022 保障年度的标准" in html
    assert "一次性补助500至20000元" in html and "1000元起" in html
    assert "首次确诊30种重大疾病之一，一次性补助5000元" in html
    assert "一次性补助300至5000元" in html


@pytest.mark.django_db
def test_p1_a_new_policy_version_changes_the_home_page(member_client):
    def richer(document):
        document["hospitalization"]["tiers"][-1]["amount"] = "25000"
        document["critical_illness"]["amount"] = "6000"
        document["critical_illness"]["illnesses"] = document["critical_illness"]["illnesses"][:29]
        document["work_injury"]["amounts"][-1]["amount"] = "400"

    new_version(2022, richer)
    html = home(member_client)
    assert "一次性补助500至25000元" in html
    assert "首次确诊29种重大疾病之一，一次性补助6000元" in html
    assert "一次性补助400至5000元" in html
    assert "20000" not in html


@pytest.mark.django_db
def test_p3_without_any_benefit_rules_the_home_page_says_they_are_not_published(member_client):
    PolicyVersion.objects.filter(year=2022).delete()
    html = home(member_client)
    assert "补助标准尚未公布" in html
    assert "20000" not in html and "5000" not in html
    # The calculator still opens, on the year that exists.
    assert member_client.get(reverse("portal:calculator")).status_code == 200
