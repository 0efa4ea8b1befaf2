import copy
import re

import pytest
from django.urls import reverse
from django.utils import translation

from huzhu.policy.comparison import compare, facts
from huzhu.policy.document import read_policy_file, shipped_policy_files
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


def new_version(year: int, change) -> PolicyVersion:
    latest = PolicyVersion.objects.filter(year=year).latest("version")
    document = copy.deepcopy(latest.document)
    change(document)
    return PolicyVersion.objects.create(
        year=year,
        version=latest.version + 1,
        document=document,
        sha256="edited-" + latest.sha256[:50],
        source_name=latest.source_name,
    )


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', html, re.S).group(1)
    return re.search(r'<option value="\d+" selected>([^<]+)</option>', select).group(1)


@pytest.mark.django_db
def test_p4_the_comparison_opens_on_the_two_latest_years_in_words(client, people):
    sign_in(client, people.district_admin)
    html = client.get(reverse("console:policies")).content.decode()
    assert (selected(html, "a"), selected(html, "b")) == ("2021 v1", "2022 v1")
    assert "保障期限" in html
    assert "2021年1月1日至2021年12月31日" in html and "2022年1月1日至2022年12月31日" in html
    assert "手机银行线上签约时间" in html and "纸质或续保签约后可线上签约至" in html
    assert "补助档次" in html and "<li>100000 元起：20000 元</li>" in html
    assert "共 30 项" in html and "<li>恶性肿瘤</li>" in html and "54.5%" in html
    assert "新增" in html and "修改" in html and "删除" in html
    # No raw keys, no Python values.
    assert "enrollment.windows" not in html and "coverage.start" not in html
    assert "{&#x27;" not in html and "[{" not in html


@pytest.mark.django_db
def test_p4_changes_within_a_year_are_listed_item_by_item(client, people):
    sign_in(client, people.hutang_admin)
    old = PolicyVersion.objects.filter(year=2022).latest("version")

    def change(document):
        document["hospitalization"]["tiers"][3]["amount"] = "2200"
        document["critical_illness"]["illnesses"] = [
            i for i in document["critical_illness"]["illnesses"] if i["code"] != "deafness"
        ]
        document["exclusions"]["general"]["surrogacy"] = "代孕"
        document["fee"] = "35.00"

    new = new_version(2022, change)
    html = client.get(reverse("console:policies"), {"a": old.pk, "b": new.pk}).content.decode()
    rows = {
        re.sub(r"<[^>]+>", "", cells[0]).strip(): [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(
                r'<tr class="(?:added|removed|changed|same)">(.*?)</tr>', html, re.S
            )
        )
    }
    assert rows["全年个人自理 15000 元起"][1:] == ["2000 元", "2200 元", "修改"]
    assert rows["每人每年缴费"][1:] == ["30 元", "35 元", "修改"]
    assert rows["重大疾病病种"][1:] == ["双耳失聪", "—", "删除"]
    assert rows["住院、工伤除外责任"][1:] == ["—", "代孕", "新增"]
    assert "共 4 处差异。" in html


@pytest.mark.django_db
def test_p4_unchanged_settings_are_shown_on_request(client, people):
    sign_in(client, people.auditor)
    version = PolicyVersion.objects.filter(year=2022).latest("version")
    same = client.get(reverse("console:policies"), {"a": version.pk, "b": version.pk})
    assert "两个版本相同。" in same.content.decode()
    html = client.get(
        reverse("console:policies"), {"a": version.pk, "b": version.pk, "all": "1"}
    ).content.decode()
    assert html.count("未变") > 80 and "新增" not in html


def test_p4_every_key_of_the_shipped_policies_has_a_label():
    for path in shipped_policy_files():
        document, _digest = read_policy_file(path)
        with translation.override("zh-hans"):
            listed = facts(document)
        assert [f.key for f in listed if f.section == "其他设置"] == [], path.name
        assert all(f.label and f.value for f in listed)


def test_p4_a_key_without_a_label_is_still_shown_by_its_path():
    document, _digest = read_policy_file(shipped_policy_files()[-1])
    changed = {**document, "claims": {"deadline_days": 60}}
    with translation.override("zh-hans"):
        (row,) = compare(document, changed)
    assert (row.section, row.label, row.old, row.new) == (
        "其他设置",
        "claims.deadline_days",
        None,
        "60",
    )
