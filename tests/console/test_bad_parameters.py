"""No address or form gives a 500 (issue 6): years SQLite cannot hold, dates at the ends of
the calendar, digits int() reads differently, NUL characters PostgreSQL refuses. Each is
handled where it is read, and the input guard answers 400 before any view for NUL and lone
surrogates (huzhu.middleware)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from huzhu.audit.models import AuditEvent
from huzhu.members.rules import SearchKind, classify_search
from huzhu.middleware import InputGuardMiddleware, refused_characters
from huzhu.org.models import Target
from huzhu.years import scheme_year
from tests.conftest import sign_in

HUGE = "9" * 30
GUARD = "huzhu.middleware.InputGuardMiddleware"


@pytest.fixture
def district(client, people):
    Target.objects.create(unit=people.hutang_admin.unit, year=2022, target=6000)
    return sign_in(client, people.district_admin)


@pytest.mark.django_db
@pytest.mark.parametrize("year", [HUGE, f"-{HUGE}", "99999", "1e400", "²", "١١", "0"])
def test_a_year_that_is_no_scheme_year_shows_the_latest_year(district, year):
    for page in ("console:targets", "console:dashboard"):
        response = district.get(reverse(page), {"year": year})
        assert response.status_code == 200
        assert "2022" in response.content.decode()


@pytest.mark.django_db
def test_a_download_for_an_impossible_year_is_not_a_500(district):
    response = district.get(reverse("console:targets"), {"year": HUGE, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename=targets-2022.xlsx"


def test_scheme_years_are_ascii_digits_within_the_range():
    assert scheme_year("2022") == 2022 and scheme_year(" 2100 ") == 2100
    for value in ("1999", "2101", HUGE, "²⁰²²", "٢٠٢٢", "2022.0", "", True, 10**30):
        assert scheme_year(value) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"until": "9999-12-31"},
        {"since": "0001-01-01"},
        {"since": "0001-01-01", "until": "9999-12-31"},
    ],
)
def test_audit_dates_at_the_ends_of_the_calendar_filter_nothing_out(district, query):
    response = district.get(reverse("console:audit"), query)
    assert response.status_code == 200
    # Every label is on the page anyway (the filter's list): count the rows instead.
    assert response.context["page"].paginator.count == AuditEvent.objects.count() > 0


@pytest.mark.django_db
def test_a_policy_reference_in_other_digits_is_no_500(district):
    response = district.get(reverse("console:policies"), {"a": "²", "b": "1"})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["\x00", "a\x00b", "张\x00"])
def test_a_nul_in_a_search_is_refused_before_the_view(district, q):
    for response in (
        district.get(reverse("console:members"), {"q": q}),
        district.post(reverse("console:members"), {"q": q}),
    ):
        assert response.status_code == 400
        assert "无法处理这个请求" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["\x00", "a\x00b", "张\x00"])
def test_the_member_search_itself_answers_a_nul_without_searching(district, settings, q):
    # The search's own check, with the guard taken away (PostgreSQL refuses NUL in a query).
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != GUARD]
    assert classify_search(q).kind == SearchKind.UNCLEAR
    for response in (
        district.get(reverse("console:members"), {"q": q}),
        district.post(reverse("console:members"), {"q": q}),
    ):
        assert response.status_code == 200
        assert "请按姓名、身份证号或手机号的后四位" in response.content.decode()


@pytest.mark.django_db
def test_nul_in_a_field_name_or_the_path_is_refused(district, people):
    assert district.get(reverse("console:members"), {"a\x00": "1"}).status_code == 400
    assert district.get("/console/%00/").status_code == 400
    response = district.post(
        reverse("console:member_new"), {"name": "赵\x00六", "unit": people.hutang_clerk.unit.pk}
    )
    assert response.status_code == 400


def test_the_guard_refuses_lone_surrogates_and_reads_no_uploaded_file():
    assert refused_characters("a\ud800b") and refused_characters("\udfff")
    assert not refused_characters("张三 \U0001f600 ①")
    guard = InputGuardMiddleware(lambda request: "passed")
    upload = SimpleUploadedFile("roster.xlsx", b"PK\x03\x04\x00\x00\x00")
    request = RequestFactory().post("/console/targets/import", {"file": upload})
    assert guard(request) == "passed"
    broken = RequestFactory().post(
        "/console/login/",
        data=b"--x\r\nnot a part",
        content_type="multipart/form-data; boundary=",
    )
    assert guard(broken).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("page", [HUGE, "1e400", "-1", "abc", "²"])
def test_page_numbers_out_of_range_show_a_page(district, page):
    for name in ("console:members", "console:audit"):
        assert district.get(reverse(name), {"page": page}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["console:member", "console:unit", "console:policy"])
def test_record_numbers_sqlite_cannot_hold_are_not_found(district, name):
    assert district.get(reverse(name, args=[int(HUGE)])).status_code == 404
