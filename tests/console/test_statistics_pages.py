"""The claim statistics page and its .xlsx (SPEC §12 district admin, D9, S3)."""

import datetime
import io
from decimal import Decimal

import pytest
import python_calamine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from huzhu.accounts.roles import Role
from huzhu.audit.models import AuditEvent
from huzhu.claims.models import Claim
from huzhu.ledger.models import EntryKind, LedgerEntry
from huzhu.org.models import Unit
from tests.claims.helpers import approved, hospital_facts, injury_facts, paid_member, stay, submit
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db
PAGE = reverse("console:claim_statistics")
XLSX = reverse("console:claim_statistics_xlsx")
NAMES = "甲乙丙丁戊己庚辛壬癸"


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.HUZHU_FILES_DIR = tmp_path / "files"


@pytest.fixture
def agency(tree):
    return make_user("agency_stats", Role.AGENCY, tree.district)


@pytest.fixture
def finance(tree):
    return make_user("finance_stats", Role.FINANCE, tree.district, second_factor=True)


def _book(kind, amount):
    LedgerEntry.objects.create(
        kind=kind,
        amount=Decimal(amount),
        year=2022,
        booked_on=datetime.date(2022, 3, 1),
        recorded_at=timezone.now(),
        reference="T",
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("district_admin", 200),
        ("auditor", 200),
        ("finance", 200),
        ("hutang_admin", 403),
        ("hutang_clerk", 403),
        ("niutang_admin", 403),
        ("agency", 403),
    ],
)
def test_district_auditor_and_finance_read_the_statistics_others_are_refused(
    client, people, finance, agency, persona, status
):
    user = {"finance": finance, "agency": agency}.get(persona) or getattr(people, persona)
    sign_in(client, user)
    assert client.get(PAGE).status_code == status
    assert client.get(XLSX).status_code == status
    assert AuditEvent.objects.filter(action="claims.export").count() == (status == 200)


def test_the_page_shows_the_figures_charts_and_loss_ratio(client, people, tree, agency):
    member = paid_member(tree.hutang_union)
    first = approved(member, hospital_facts(stay("2022-02-01", "6000")), agency)
    submit(paid_member(tree.niutang_union, name="钱七"), injury_facts(grade=3))
    _book(EntryKind.FEE_INCOME, "1000.00")
    _book(EntryKind.PAYOUT, "-250.00")
    sign_in(client, people.district_admin)
    html = client.get(PAGE, {"year": "2022"}).content.decode()
    assert 'id="benefit-chart"' in html and 'id="month-chart"' in html
    assert 'role="img"' in html and 'aria-label="各项补助的申请与核准件数"' in html
    assert "<script" not in html.split('id="statistics-filters"')[1]
    assert f'<dd id="total-submitted">{Claim.objects.count()}</dd>' in html
    assert f"{first.amount:.2f}" in html
    expected = (Decimal("250") * 100 / Decimal("1000")).quantize(Decimal("0.01"))
    assert f"{expected}%" in html
    assert "湖塘镇" in html and "牛塘镇" in html
    only = client.get(PAGE, {"year": "2022", "unit": str(tree.niutang.pk)}).content.decode()
    assert '<dd id="total-submitted">1</dd>' in only


@pytest.mark.parametrize(
    "query",
    [
        {"year": "abc"},
        {"year": "99999999999999999999"},
        {"year": "2022", "unit": "x"},
        {"unit": "99999999"},
        {"unit": "１２"},
        {"year": "2022", "unit": "-1"},
    ],
)
def test_bad_filters_are_ignored_never_a_500(client, people, query):
    sign_in(client, people.district_admin)
    assert client.get(PAGE, query).status_code == 200
    assert client.get(XLSX, query).status_code == 200


def test_an_empty_year_says_so_and_shows_no_loss_ratio(client, people, tree):
    sign_in(client, people.auditor)
    html = client.get(PAGE, {"year": "2030"}).content.decode()
    assert "本年度没有补助申请" in html
    assert "没有会费收入" in html


def test_posting_to_the_statistics_pages_is_refused(client, people):
    sign_in(client, people.district_admin)
    for url in (PAGE, XLSX):
        response = client.post(url)
        assert response.status_code == 405 and "GET" in response["Allow"]


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAGE, {"year": "2022"}).status_code == 200
    return len(captured)


def test_the_page_makes_as_many_queries_for_one_claim_as_for_many(
    client, people, tree, agency, django_assert_num_queries
):
    submit(paid_member(tree.hutang_union), hospital_facts())
    sign_in(client, people.district_admin)
    client.get(PAGE)  # the session and the user's caches warm
    one = _page_queries(client)
    for n, union in enumerate([tree.hutang_union, tree.niutang_union] * 3):
        member = paid_member(union, name="多" + NAMES[n])
        approved(member, hospital_facts(stay("2022-03-01", "6000")), agency)
        submit(member, injury_facts(grade=2))
    with django_assert_num_queries(one):
        client.get(PAGE, {"year": "2022"})
    with django_assert_num_queries(one):
        client.get(PAGE, {"year": "2022", "unit": str(tree.hutang.pk)})


def test_the_xlsx_is_readable_and_a_formula_looking_name_stays_text(client, tree, agency, finance):
    Unit.objects.filter(pk=tree.hutang.pk).update(name='=HYPERLINK("http://x","点我")')
    member = paid_member(tree.hutang_union)
    claim = approved(member, hospital_facts(stay("2022-02-01", "6000")), agency)
    _book(EntryKind.FEE_INCOME, "800.00")
    _book(EntryKind.PAYOUT, "-1.00")
    sign_in(client, finance)
    response = client.get(XLSX, {"year": "2022"})
    assert response.status_code == 200
    assert "claim-statistics-2022.xlsx" in response["Content-Disposition"]
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert len(book.sheet_names) == 4
    units = book.get_sheet_by_index(1).to_python()
    assert units[2][0] == '=HYPERLINK("http://x","点我")'
    benefits = book.get_sheet_by_index(0).to_python()
    assert benefits[2][0] == "住院医疗费用补助" and benefits[2][4] == 1
    assert Decimal(str(benefits[2][5])) == claim.amount
    ratio = book.get_sheet_by_index(3).to_python()
    assert round(ratio[-1][1], 6) == float(Decimal("0.13") / 100)  # 1 / 800 = 0.125 → 0.13 %
    with zipfile_of(response.content) as archive:
        sheet = archive.read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in sheet
    event = AuditEvent.objects.get(action="claims.export")
    assert event.data["year"] == 2022


def zipfile_of(content: bytes):
    import zipfile

    return zipfile.ZipFile(io.BytesIO(content))
