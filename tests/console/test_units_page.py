"""Units and targets pages (issue 6): corrections by the district admin only, confirmed new
units, refused uploads in the audit log, and what a clerk sees on the targets page."""

import re
from importlib import resources

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huzhu.audit.models import AuditEvent
from huzhu.members.models import Member
from huzhu.org.models import Target, Unit
from tests.conftest import sign_in
from tests.console.test_targets_page import confirm

NOTICE = resources.files("huzhu").joinpath("data/targets-2022.csv").read_bytes()


def upload(client, name, content):
    return client.post(
        reverse("console:targets_import"), {"file": SimpleUploadedFile(name, content)}, follow=True
    ).content.decode()


@pytest.mark.django_db
def test_the_unit_form_asks_for_the_unit_name_not_a_person_name(client, people):
    sign_in(client, people.hutang_admin)
    html = client.get(reverse("console:units")).content.decode()
    assert "单位名称" in html and "姓名" not in html


@pytest.mark.django_db
def test_district_admin_renames_and_moves_a_union_through_its_page(client, people, tree):
    sign_in(client, people.district_admin)
    page = client.get(reverse("console:unit", args=[tree.hutang_union.pk])).content.decode()
    assert "更正单位" in page and "移到" in page
    response = client.post(
        reverse("console:unit_rename", args=[tree.hutang_union.pk]),
        {"name": "湖塘镇甲公司联合工会"},
        follow=True,
    )
    assert "已改名为“湖塘镇甲公司联合工会”" in response.content.decode()
    response = client.post(
        reverse("console:unit_move", args=[tree.hutang_union.pk]),
        {"parent": tree.niutang.pk},
        follow=True,
    )
    assert "已移到“牛塘镇”下" in response.content.decode()
    assert Member.objects.get(pk=people.member.pk).unit_path.startswith(tree.niutang.path)
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"unit.rename", "unit.move"}


@pytest.mark.django_db
def test_only_the_district_admin_corrects_units(client, people, tree):
    sign_in(client, people.hutang_admin)
    own = client.get(reverse("console:unit", args=[tree.hutang_union.pk]))
    assert own.status_code == 200 and "更正单位" not in own.content.decode()
    assert client.get(reverse("console:unit", args=[tree.niutang_union.pk])).status_code == 404
    for name, data in [
        ("console:unit_rename", {"name": "改名"}),
        ("console:unit_move", {"parent": tree.niutang.pk}),
        ("console:unit_deactivate", {}),
        ("console:unit_reactivate", {}),
    ]:
        assert client.post(reverse(name, args=[tree.hutang_union.pk]), data).status_code == 403
    sign_in(client, people.auditor)
    assert (
        client.post(reverse("console:unit_deactivate", args=[tree.niutang.pk])).status_code == 403
    )
    assert Unit.objects.get(pk=tree.hutang_union.pk).name == "湖塘镇甲公司工会"
    assert not AuditEvent.objects.filter(action__startswith="unit.").exclude(action="unit.create")


@pytest.mark.django_db
def test_a_phantom_unit_is_deactivated_and_leaves_the_targets_page(client, people, tree):
    phantom = Unit.objects.create(name="牛塘町", kind="organizing", parent=tree.district, path="")
    Unit.objects.filter(pk=phantom.pk).update(path=f"{tree.district.path}{phantom.pk}/")
    Target.objects.create(unit=phantom, year=2022, target=3000)
    Target.objects.create(unit=tree.hutang, year=2022, target=6000)
    sign_in(client, people.district_admin)
    assert "牛塘町" in client.get(reverse("console:targets"), {"year": 2022}).content.decode()
    response = client.post(reverse("console:unit_deactivate", args=[phantom.pk]), follow=True)
    assert "已停用" in response.content.decode()
    html = client.get(reverse("console:targets"), {"year": 2022}).content.decode()
    assert "牛塘町" not in html and "6000" in html
    assert "牛塘町" not in client.get(reverse("console:dashboard"), {"year": 2022}).content.decode()
    assert "已停用" in client.get(reverse("console:units")).content.decode()


@pytest.mark.django_db
def test_a_typo_uploaded_in_the_console_is_listed_and_cancelling_writes_nothing(client, people):
    sign_in(client, people.district_admin)
    upload(client, "t.csv", NOTICE)
    confirm(client)
    typo = NOTICE.decode().replace("牛塘镇", "牛塘町").encode()
    preview = upload(client, "typo.csv", typo)
    assert "确认新建单位" in preview and "牛塘町" in preview
    assert re.search(r"<td class=\"num\">\d+</td><td>牛塘町</td>", preview)
    assert "目前尚未写入任何数据" in preview
    done = confirm(client, "cancel").content.decode()
    assert "已取消导入" in done
    assert not Unit.objects.filter(name="牛塘町").exists()
    assert sum(t.target or 0 for t in Target.objects.filter(year=2022)) == 82200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, content, limit, words",
    [
        ("t.csv", NOTICE, 100, "文件超过"),
        ("t.pdf", NOTICE, None, "不支持的文件类型"),
        ("t.xlsx", b"PK\x03\x04 not really a zip", None, "无法读取工作簿"),
        ("t.csv", NOTICE.replace(b"6000", b"6OOO"), None, "6OOO"),
    ],
)
def test_s3_every_refused_upload_leaves_an_audit_row(
    client, people, settings, name, content, limit, words
):
    if limit:
        settings.HUZHU_UPLOAD_MAX_BYTES = limit
    sign_in(client, people.district_admin)
    html = upload(client, name, content)
    assert words in html and "未导入任何数据" in html
    event = AuditEvent.objects.get(action="upload.rejected")
    assert event.actor_user == people.district_admin
    assert event.data["name"] == name and event.data["size"] == len(content)
    assert words in event.data["reason"]
    assert not Target.objects.exists()


@pytest.mark.django_db
def test_the_import_help_names_the_real_columns_of_the_year(client, people):
    sign_in(client, people.district_admin)
    upload(client, "t.csv", NOTICE)
    confirm(client)
    html = client.get(reverse("console:targets"), {"year": 2022}).content.decode()
    help_text = re.search(r'id="import-help">(.*?)</p>', html, re.S).group(1)
    assert "2021年任务数、2021年完成数、完成率%、2022年计划任务数" in help_text
    assert "{Y" not in html


@pytest.mark.django_db
def test_a_clerk_sees_the_organizing_unit_above_and_downloads_only_what_is_shown(
    client, people, tree
):
    Target.objects.create(unit=tree.hutang, year=2022, target=6000)
    Target.objects.create(unit=tree.niutang, year=2022, target=3000)
    sign_in(client, people.hutang_clerk)
    html = client.get(reverse("console:targets"), {"year": 2022}).content.decode()
    # "湖塘镇" alone is always on the page: the top bar names the clerk's 湖塘镇甲公司工会.
    assert "<td>湖塘镇</td>" in html and "6000" in html and "牛塘镇" not in html
    assert "format=xlsx" in html and "您所在工会的组织单位" in html
    response = client.get(reverse("console:targets"), {"year": 2022, "format": "xlsx"})
    assert response.status_code == 200
    empty = client.get(reverse("console:targets"), {"year": 2099}).content.decode()
    assert "format=xlsx" not in empty
    refused = client.get(reverse("console:targets"), {"year": 2099, "format": "xlsx"})
    assert refused.status_code == 302
