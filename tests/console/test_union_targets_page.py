"""The grassroots unions' targets page and the dashboard's breakdown and weekly trend
(SPEC T3, T4, T5, S1), through the Django client."""

import datetime

import pytest
from django.urls import reverse

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.dates import SCHEME_ZONE
from huzhu.enrollment.models import EnrollmentChange
from huzhu.org.models import Target, UnionTarget
from tests.conftest import sign_in
from tests.org.test_union_targets import paid_members


def page(tree, year=2022):
    return f"{reverse('console:union_targets', args=[tree.hutang.pk])}?year={year}"


@pytest.fixture
def figures(tree):
    Target.objects.create(unit=tree.hutang, year=2022, target=10)
    ids = paid_members(tree.hutang_union, 3)
    EnrollmentChange.objects.filter(enrollment_id__in=ids, to_state="paid").update(
        changed_at=datetime.datetime(2021, 11, 3, 10, tzinfo=SCHEME_ZONE)
    )


@pytest.mark.django_db
def test_t3_t4_org_admin_splits_the_target_and_sees_the_rows(client, tree, people, figures):
    sign_in(client, people.hutang_admin)
    response = client.post(
        page(tree),
        {f"union-{tree.hutang_union.pk}": "6", f"union-{tree.hutang_union_b.pk}": "2"},
        follow=True,
    )
    html = response.content.decode()
    assert "各基层工会的任务数已保存" in html
    assert UnionTarget.objects.get(unit=tree.hutang_union, year=2022).target == 6
    # 3 paid of 6: 50.00% (T4); the sum 8 is below the district's 10: a warning.
    assert "50.00%" in html
    assert "各基层工会任务数合计 8，低于区总工会下达的任务数 10" in html
    assert AuditEvent.objects.filter(action=Action.UNION_TARGETS_SET).count() == 1
    dashboard = client.get(reverse("console:dashboard")).content.decode()
    assert dashboard.count('id="union-rows"') == 1 and "湖塘镇甲公司工会" in dashboard
    assert dashboard.count('id="trend-chart"') == 1
    assert "<title>首页 ·" in dashboard
    assert "2021-W44" in dashboard and 'id="trend-chart"' in dashboard


@pytest.mark.django_db
def test_no_warning_when_the_split_reaches_the_target(client, tree, people, figures):
    sign_in(client, people.hutang_admin)
    html = client.post(
        page(tree),
        {f"union-{tree.hutang_union.pk}": "6", f"union-{tree.hutang_union_b.pk}": "5"},
        follow=True,
    ).content.decode()
    assert 'id="share-warning"' not in html and "11" in html


@pytest.mark.django_db
def test_no_warning_and_a_translated_total_before_anything_is_split(client, tree, people, figures):
    sign_in(client, people.hutang_admin)
    html = client.get(page(tree)).content.decode()
    assert 'id="union-rows"' in html and 'id="share-warning"' not in html
    assert "<td>合计</td>" in html


@pytest.mark.django_db
def test_a_bad_number_is_refused_naming_the_union(client, tree, people, figures):
    sign_in(client, people.hutang_admin)
    html = client.post(
        page(tree),
        {f"union-{tree.hutang_union.pk}": "6", f"union-{tree.hutang_union_b.pk}": "-3"},
        follow=True,
    ).content.decode()
    assert "湖塘镇乙公司工会：任务数“-3”不是 0 到 1000000 之间的整数" in html
    assert "未保存任何数据" in html
    assert not UnionTarget.objects.exists()


@pytest.mark.django_db
def test_s1_another_organizing_units_admin_gets_404(client, tree, people, figures):
    sign_in(client, people.niutang_admin)
    assert client.get(page(tree)).status_code == 404
    response = client.post(page(tree), {f"union-{tree.hutang_union.pk}": "6"})
    assert response.status_code == 404
    assert not UnionTarget.objects.exists()


@pytest.mark.django_db
def test_s1_a_clerk_sees_their_own_row_read_only_and_cannot_save(client, tree, people, figures):
    UnionTarget.objects.create(unit=tree.hutang_union_b, year=2022, target=9)
    sign_in(client, people.hutang_clerk)
    html = client.get(page(tree)).content.decode()
    assert "湖塘镇甲公司工会" in html and "湖塘镇乙公司工会" not in html
    assert 'name="union-' not in html and 'id="split-form"' not in html
    response = client.post(page(tree), {f"union-{tree.hutang_union.pk}": "6"})
    assert response.status_code == 403
    assert UnionTarget.objects.count() == 1


@pytest.mark.django_db
def test_district_admin_opens_and_splits_any_organizing_unit(client, tree, people, figures):
    sign_in(client, people.district_admin)
    dashboard = client.get(reverse("console:dashboard")).content.decode()
    assert page(tree).replace("&", "&amp;") in dashboard
    html = client.get(page(tree)).content.decode()
    assert 'name="union-' in html and "2021-W44" in html
    client.post(page(tree), {f"union-{tree.hutang_union.pk}": "7"})
    assert UnionTarget.objects.get().set_by == people.district_admin


@pytest.mark.django_db
def test_t5_targets_page_for_a_year_without_targets_shows_last_years(client, tree, people):
    paid_members(tree.hutang_union, 3)
    Target.objects.create(unit=tree.hutang, year=2022, target=6)
    Target.objects.create(unit=tree.niutang, year=2022, target=4)
    sign_in(client, people.district_admin)
    html = client.get(f"{reverse('console:targets')}?year=2023").content.decode()
    assert "2022年任务数" in html and "2023年计划任务数" in html
    assert '<option value="2023" selected>' in html
    assert (
        '<td class="num">6</td><td class="num">3</td><td class="num">50.00%</td>'
        '<td class="num"></td>'
    ) in html
    assert (
        '<tr class="total"><td class="num">合计</td><td></td><td class="num">10</td>'
        '<td class="num">3</td><td></td><td class="num"></td></tr>'
    ) in html
