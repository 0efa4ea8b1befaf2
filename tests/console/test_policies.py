import pytest
from django.urls import reverse

from huzhu.policy.models import PolicyVersion
from tests.conftest import sign_in


@pytest.mark.django_db
def test_p1_staff_read_a_years_policy_in_the_console(client, people):
    sign_in(client, people.hutang_admin)
    version = PolicyVersion.objects.filter(year=2022).latest("version")
    html = client.get(reverse("console:policy", args=[version.pk])).content.decode()
    assert "2022年武进区在职职工医疗互助保障" in html
    assert "2022-01-01 — 2022-12-31" in html and "2021-10-11 — 2021-12-25" in html
    assert "100000" in html and "20000" in html  # the top tier
    assert "恶性肿瘤" in html and "挂床未实际住院" in html


@pytest.mark.django_db
def test_p3_the_2021_policy_says_it_has_no_benefit_rules(client, people):
    sign_in(client, people.auditor)
    version = PolicyVersion.objects.filter(year=2021).latest("version")
    html = client.get(reverse("console:policy", args=[version.pk])).content.decode()
    assert "没有补助规则" in html and "2020-09-29 — 2020-12-18" in html


@pytest.mark.django_db
def test_p4_the_console_shows_the_differences_between_two_versions(client, people):
    sign_in(client, people.district_admin)
    old = PolicyVersion.objects.filter(year=2021).latest("version")
    new = PolicyVersion.objects.filter(year=2022).latest("version")
    html = client.get(reverse("console:policies"), {"a": old.pk, "b": new.pk}).content.decode()
    assert "coverage.start" in html and "2021-01-01" in html and "2022-01-01" in html
    assert "enrollment.windows.paper.end" in html
