import csv
import io
import re
from importlib import resources

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from huzhu.audit.models import AuditEvent
from huzhu.org.models import Target
from tests.conftest import sign_in

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
