"""The console's roster export and authorization form pages (SPEC X8, X9), scoped (S1) and
audited (S3)."""

import io
from urllib.parse import unquote

import pypdf
import pytest
from django.urls import reverse

from huzhu.accounts.roles import Role
from huzhu.audit.models import AuditEvent
from huzhu.members import crypto
from huzhu.tabular import PasswordError, read_rows
from tests.conftest import make_user, sign_in
from tests.rosters.output import enrolled_roster

PASSWORD = "roster-pass-2022"


@pytest.fixture
def roster(tree, people):
    return enrolled_roster(tree, people)


def filename(response) -> str:
    return unquote(response["Content-Disposition"].split("filename*=utf-8''")[1])


@pytest.mark.django_db
def test_x8_the_export_page_offers_the_units_in_scope(client, people, tree):
    sign_in(client, people.hutang_admin)
    html = client.get(reverse("console:roster_export")).content.decode()
    assert "导出参保职工汇总表" in html and 'type="password"' in html
    assert "湖塘镇甲公司工会" in html and "牛塘镇" not in html


@pytest.mark.django_db
def test_x8_export_through_the_page_masked_then_encrypted(client, people, tree, roster):
    sign_in(client, people.hutang_clerk)
    url = reverse("console:roster_export")
    response = client.post(url, {"year": 2022, "unit": tree.hutang_union.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert filename(response).startswith("湖塘镇甲公司工会") and filename(response).endswith(
        ".xlsx"
    )
    assert "no-store" in response["Cache-Control"]
    rows = read_rows(response.content, "x.xlsx")
    assert rows[3][2] == "张三" and "*" in rows[3][3]

    response = client.post(url, {"year": 2022, "unit": tree.hutang_union.pk, "password": PASSWORD})
    with pytest.raises(PasswordError):
        read_rows(response.content, "x.xlsx")
    rows = read_rows(response.content, "x.xlsx", password=PASSWORD)
    assert rows[3][3] == crypto.decrypt(people.member.id_number_encrypted)
    events = AuditEvent.objects.filter(action="roster.export").order_by("pk")
    assert [e.data["encrypted"] for e in events] == [False, True]
    assert all(e.actor_user == people.hutang_clerk for e in events)


@pytest.mark.django_db
def test_x8_a_short_password_or_an_empty_year_is_named_in_chinese(client, people, tree, roster):
    sign_in(client, people.hutang_admin)
    url = reverse("console:roster_export")
    html = client.post(
        url, {"year": 2022, "unit": tree.hutang.pk, "password": "short"}
    ).content.decode()
    assert "密码（可不填）：" in html and "8" in html
    assert 'value="short"' not in html  # never sent back
    html = client.post(url, {"year": 2021, "unit": tree.hutang.pk}).content.decode()
    assert "湖塘镇没有2021年的参保职工。" in html
    assert not AuditEvent.objects.filter(action="roster.export").exists()


@pytest.mark.django_db
def test_s1_another_units_roster_is_missing(client, people, tree, roster):
    sign_in(client, people.hutang_admin)
    response = client.post(
        reverse("console:roster_export"), {"year": 2022, "unit": tree.niutang_union.pk}
    )
    assert response.status_code == 404
    response = client.get(reverse("console:roster_forms"), {"year": 2022, "unit": tree.niutang.pk})
    assert response.status_code == 404
    response = client.get(reverse("console:member_form", args=[people.other_member.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="roster.").exists()


@pytest.mark.django_db
def test_x9_forms_of_a_unit_through_the_page(client, people, tree, roster):
    sign_in(client, people.hutang_admin)
    url = reverse("console:roster_forms")
    assert "打印付款授权书" in client.get(url).content.decode()
    response = client.get(url, {"year": 2022, "unit": tree.hutang.pk})
    assert response["Content-Type"] == "application/pdf"
    assert filename(response) == "湖塘镇2022付款授权书.pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2
    html = client.get(url, {"year": 2021, "unit": tree.hutang.pk}).content.decode()
    assert "湖塘镇没有2021年的参保职工。" in html


@pytest.mark.django_db
def test_x9_the_member_page_prints_the_members_form(client, people, tree):
    sign_in(client, people.hutang_clerk)
    page = client.get(reverse("console:member", args=[people.member.pk])).content.decode()
    url = reverse("console:member_form", args=[people.member.pk])
    assert url in page and "打印付款授权书（PDF）" in page
    response = client.get(url, {"year": 2022})
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "张三" in text and "参保年度：2022年" in text
    assert crypto.decrypt(people.member.id_number_encrypted) in text
    event = AuditEvent.objects.get(action="roster.forms")
    assert event.actor_user == people.hutang_clerk and event.object_id == str(people.member.pk)


@pytest.mark.django_db
def test_x9_finance_sees_neither_the_button_nor_the_form(client, people, tree):
    sign_in(client, make_user("finance", Role.FINANCE, tree.district, second_factor=True))
    page = client.get(reverse("console:member", args=[people.member.pk])).content.decode()
    assert reverse("console:member_form", args=[people.member.pk]) not in page
    assert client.get(reverse("console:member_form", args=[people.member.pk])).status_code == 403
