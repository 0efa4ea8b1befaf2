import csv
import hashlib
import io
import re
from importlib import resources

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from huzhu.audit.models import AuditEvent
from huzhu.org.models import Target
from tests.conftest import sign_in
from tests.workbooks import encrypted

NOTICE = resources.files("huzhu").joinpath("data/targets-2022.csv").read_bytes()


def confirm(client, button="confirm"):
    """Press a button of the confirmation page for new units."""
    page = client.get(reverse("console:targets_confirm")).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    return client.post(
        reverse("console:targets_confirm"), {"token": token, button: "1"}, follow=True
    )


@pytest.mark.django_db
def test_district_admin_imports_targets_through_the_page(client, people):
    sign_in(client, people.district_admin)
    preview = client.post(
        reverse("console:targets_import"),
        {"file": SimpleUploadedFile("附件1.csv", NOTICE)},
        follow=True,
    ).content.decode()
    # The test tree holds 湖塘镇 and 牛塘镇: the other 27 units are listed for confirmation.
    assert "确认新建单位" in preview and "高新区" in preview
    assert not Target.objects.exists()
    response = confirm(client)
    html = response.content.decode()
    assert "已导入 2022 年目标任务" in html
    assert "78.36%" in html and "82200" in html
    assert Target.objects.get(unit__name="湖塘镇", year=2022).target == 6000
    assert AuditEvent.objects.filter(action="upload").exists()


@pytest.mark.django_db
def test_a_bad_upload_shows_the_row_and_imports_nothing(client, people):
    rows = list(csv.reader(NOTICE.decode().splitlines()))
    rows[3][2] = "abc"
    body = "\n".join(",".join(r) for r in rows).encode()
    sign_in(client, people.district_admin)
    response = client.post(
        reverse("console:targets_import"),
        {"file": SimpleUploadedFile("bad.csv", body)},
        follow=True,
    )
    html = response.content.decode()
    assert "第 4 行" in html and "abc" in html and "未导入任何数据" in html
    assert not Target.objects.filter(year=2022).exists()


@pytest.mark.django_db
def test_report_downloads_as_excel_and_is_logged(client, people):
    sign_in(client, people.district_admin)
    client.post(reverse("console:targets_import"), {"file": SimpleUploadedFile("t.csv", NOTICE)})
    confirm(client)
    response = client.get(reverse("console:targets"), {"year": 2022, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["B11"].value == "湖塘镇"
    # The rate is a number shown as a percentage with two decimals, not text.
    assert sheet["E11"].value == pytest.approx(0.6382) and sheet["E11"].number_format == "0.00%"
    assert AuditEvent.objects.filter(action="targets.export").count() == 1


@pytest.mark.django_db
def test_s5_an_oversized_upload_is_refused(client, people, settings):
    settings.HUZHU_UPLOAD_MAX_BYTES = 100
    sign_in(client, people.district_admin)
    response = client.post(
        reverse("console:targets_import"),
        {"file": SimpleUploadedFile("t.csv", NOTICE)},
        follow=True,
    )
    assert "文件超过" in response.content.decode()
    assert not Target.objects.exists()


@pytest.mark.django_db
def test_s5_a_file_whose_content_is_not_its_type_is_refused(client, people):
    sign_in(client, people.district_admin)
    response = client.post(
        reverse("console:targets_import"),
        {"file": SimpleUploadedFile("t.xlsx", NOTICE)},
        follow=True,
    )
    assert "不是有效的 Excel 工作簿" in response.content.decode()
    assert not Target.objects.exists()


def upload(client, name, content, **extra):
    return client.post(
        reverse("console:targets_import"),
        {"file": SimpleUploadedFile(name, content), **extra},
        follow=True,
    )


@pytest.mark.django_db
def test_s5_an_oversized_upload_says_once_that_nothing_was_imported(client, people, settings):
    settings.HUZHU_UPLOAD_MAX_BYTES = 1024 * 1024
    sign_in(client, people.district_admin)
    html = upload(client, "t.csv", NOTICE + b" " * (1024 * 1024)).content.decode()
    assert "文件超过 1 MB。" in html and html.count("未导入任何数据") == 1


@pytest.mark.django_db
def test_s5_a_nul_in_a_unit_name_is_refused_naming_the_cell_not_a_500(client, people):
    # On PostgreSQL the name reached the database at confirmation: a 500.
    sign_in(client, people.district_admin)
    body = NOTICE.decode().replace("高新区北区", "高新区\x00北区").encode()
    response = upload(client, "nul.csv", body)
    html = response.content.decode()
    assert response.status_code == 200 and "B3" in html and "控制字符" in html
    assert "\x00" not in html and not Target.objects.exists()
    assert AuditEvent.objects.filter(action="upload.rejected").count() == 1


@pytest.mark.django_db
def test_x3_an_encrypted_workbook_is_imported_with_the_password_typed_on_the_page(client, people):
    book = Workbook()
    for row in csv.reader(NOTICE.decode().splitlines()):
        book.active.append(row)
    plain = io.BytesIO()
    book.save(plain)
    locked = encrypted(plain.getvalue(), "武进2022")
    sign_in(client, people.district_admin)
    page = client.get(reverse("console:targets")).content.decode()
    assert 'type="password" id="id_password" name="password"' in page

    assert "该工作簿已加密，请输入密码" in upload(client, "t.xlsx", locked).content.decode()
    html = upload(client, "t.xlsx", locked, password="wrong-password").content.decode()
    assert "工作簿密码错误" in html and "wrong-password" not in html
    reasons = [e.data["reason"] for e in AuditEvent.objects.filter(action="upload.rejected")]
    assert len(reasons) == 2 and not any("wrong-password" in r for r in reasons)

    upload(client, "t.xlsx", locked, password="武进2022")
    assert "确认新建单位" in client.get(reverse("console:targets_confirm")).content.decode()
    confirm(client)
    assert Target.objects.get(unit__name="湖塘镇", year=2022).target == 6000
    assert not AuditEvent.objects.filter(summary__contains="武进2022").exists()


@pytest.mark.django_db
def test_t5_the_confirmation_page_lists_units_whose_figures_the_file_clears(client, people):
    sign_in(client, people.district_admin)
    upload(client, "t.csv", NOTICE)
    confirm(client)
    upload(client, "renamed.csv", NOTICE.decode().replace("牛塘镇", "牛塘新区").encode())
    page = client.get(reverse("console:targets_confirm")).content.decode()
    new_units = page.split('id="new-units"')[1].split("</table>")[0]
    cleared = page.split('id="cleared-units"')[1].split("</ul>")[0]
    assert "牛塘新区" in new_units and "牛塘镇" in cleared
    assert "确认并导入" in page
    assert Target.objects.get(unit__name="牛塘镇", year=2022).target == 3000  # nothing yet
    html = confirm(client).content.decode()
    assert "已清除文件中未列出的组织单位的数据：牛塘镇" in html
    assert "82200" in html and "84700" not in html and "85200" not in html
    assert Target.objects.get(unit__name="牛塘镇", year=2022).target is None


@pytest.mark.django_db
def test_s3_a_downloaded_targets_report_is_audited_with_who_and_which_year(client, people):
    Target.objects.create(unit=people.hutang_admin.unit, year=2022, target=6000)
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:targets"), {"year": 2022, "format": "xlsx"})
    assert response["Content-Disposition"] == "attachment; filename=targets-2022.xlsx"
    event = AuditEvent.objects.get(action="targets.export")
    assert (event.actor_user, event.data, event.unit_path) == (
        people.hutang_admin,
        {"year": 2022},
        people.hutang_admin.unit.path,
    )


@pytest.mark.django_db
def test_s3_an_accepted_upload_is_audited_before_its_confirmation(client, people):
    sign_in(client, people.district_admin)
    client.post(
        reverse("console:targets_import"), {"file": SimpleUploadedFile("附件1.csv", NOTICE)}
    )
    event = AuditEvent.objects.get(action="upload")
    assert event.actor_user == people.district_admin
    assert event.data == {
        "kind": "targets",
        "name": "附件1.csv",
        "size": len(NOTICE),
        "sha256": hashlib.sha256(NOTICE).hexdigest(),
        "content": "csv",
        "same_as_before": False,
    }
    assert not Target.objects.exists()  # waiting for confirmation, yet on record
