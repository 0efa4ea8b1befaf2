"""The roster pages and commands under attack: hostile query and form values, another
unit's objects, replays, formula cells and careless command lines (SPEC S1, S2, S3, S5, E6,
X4, X8, X9). No 500 anywhere; a Chinese message naming the field; full numbers and the
export password never in a URL, a log line or the audit."""

import io
import logging
import os
import stat
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from huzhu.audit.models import AuditEvent
from huzhu.console import views_rosters_output
from huzhu.dates import scheme_today
from huzhu.members import crypto
from huzhu.rosters.models import Review
from tests.conftest import add_member, make_user, sign_in
from tests.rosters import files
from tests.rosters.output import enroll, enrolled_roster
from tests.rosters.review_helpers import make_roster

PASSWORD = "roster-pass-2022"
HOSTILE = [
    "1e400",
    "-1",
    "99999999999999999999",
    "2022\x00",
    "\x00",
    "x" * 10_000,
    "²²²²",  # digits to str.isdigit(), not to int()
    "٢٠٢٢",
    "2022.0",
    "",
]


@pytest.fixture
def roster(tree, people):
    enrolled_roster(tree, people)
    return make_roster(
        unit=tree.hutang_union, uploader=people.hutang_clerk, members=[], errors=True
    )


def no_server_error(response) -> None:
    assert response.status_code < 500, response.status_code


# --- hostile query and form values ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_s5_hostile_values_in_every_roster_page_are_no_server_error(
    client, people, tree, roster, value
):
    sign_in(client, people.hutang_admin)
    pages = [
        ("console:rosters", (), ("year", "status", "review", "page")),
        ("console:roster_forms", (), ("year", "unit")),
        ("console:roster_export", (), ("year", "unit")),
        ("console:member_form", (people.member.pk,), ("year",)),
        ("console:roster", (roster.pk,), ("page",)),
    ]
    for name, args, params in pages:
        for param in params:
            query = {"year": "2022", "unit": str(tree.hutang.pk), param: value}
            no_server_error(client.get(reverse(name, args=args), query))
    for field in ("year", "unit", "password"):
        data = {"year": "2022", "unit": str(tree.hutang.pk), field: value}
        no_server_error(client.post(reverse("console:roster_export"), data))
    no_server_error(
        client.post(reverse("console:roster_return", args=(roster.pk,)), {"reason": value})
    )
    type(roster).objects.filter(pk=roster.pk).update(review=Review.APPROVED)
    sign_in(client, make_user("agency", "agency", tree.district, True))
    for data in [
        {"collected_on": value, "count": "3"},
        {"collected_on": scheme_today().isoformat(), "count": value},
    ]:
        no_server_error(client.post(reverse("console:roster_collect", args=(roster.pk,)), data))
    sign_in(client, people.district_admin)
    url = reverse("console:unit_forms_route", args=(tree.hutang.pk,))
    no_server_error(client.post(url, {"route": value}))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["year=%ff%fe", "year=%ed%a0%80", "year=2022&year=2021", "unit=%00&year=2022"]
)
def test_s5_invalid_utf8_surrogates_and_repeated_parameters(client, people, tree, roster, query):
    sign_in(client, people.hutang_admin)
    for name, args in [
        ("console:rosters", ()),
        ("console:roster_forms", ()),
        ("console:member_form", (people.member.pk,)),
    ]:
        response = client.generic("GET", reverse(name, args=args), QUERY_STRING=query)
        no_server_error(response)


@pytest.mark.django_db
def test_s5_a_year_of_unicode_digits_in_the_list_filter_is_ignored(client, people, roster):
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:rosters"), {"year": "²²²²"})
    assert response.status_code == 200
    assert response.context["filters"].year is None


@pytest.mark.django_db
def test_s5_a_unit_of_unicode_digits_is_named_as_a_bad_choice(client, people, roster):
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:roster_forms"), {"year": "2022", "unit": "²"})
    assert response.status_code == 200
    assert "单位" in response.content.decode() and "errorlist" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["1e400", "99999999999999999999", "-1", "²²²²", "x" * 10_000])
def test_x9_a_bad_year_for_a_member_form_is_named_not_replaced(client, people, roster, year):
    sign_in(client, people.hutang_admin)
    url = reverse("console:member_form", args=(people.member.pk,))
    response = client.get(url, {"year": year})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:member", args=(people.member.pk,))
    page = client.get(response["Location"]).content.decode()
    assert "保障年度 须为 2000 至 2100 之间的年份。" in page
    assert not AuditEvent.objects.filter(action="roster.forms").exists()


@pytest.mark.django_db
def test_x9_an_empty_year_prints_the_latest(client, people, roster):
    sign_in(client, people.hutang_admin)
    url = reverse("console:member_form", args=(people.member.pk,))
    response = client.get(url, {"year": ""})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_e6_a_count_past_any_roster_is_named_and_not_saved(client, people, tree):
    found = make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk)
    type(found).objects.filter(pk=found.pk).update(review=Review.APPROVED)
    sign_in(client, make_user("agency", "agency", tree.district, True))
    url = reverse("console:roster_collect", args=(found.pk,))
    data = {"collected_on": scheme_today().isoformat(), "count": "99999999999999999999"}
    page = client.post(url, data, follow=True).content.decode()
    assert "份数：" in page and "200000" in page
    found.refresh_from_db()
    assert found.collected_on is None


# --- scope (S1) ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_s1_another_units_member_form_roster_and_files_are_missing(client, people, tree, roster):
    theirs = make_roster(unit=tree.niutang_union, uploader=people.niutang_admin, errors=True)
    sign_in(client, people.hutang_admin)
    for url in [
        reverse("console:member_form", args=(people.other_member.pk,)) + "?year=2022",
        reverse("console:roster", args=(theirs.pk,)),
        reverse("console:roster_file", args=(theirs.pk,)),
        reverse("console:roster_errors", args=(theirs.pk,)),
        reverse("console:roster_forms") + f"?year=2022&unit={tree.niutang_union.pk}",
    ]:
        assert client.get(url).status_code == 404, url
    for name in ("console:roster_approve", "console:roster_return"):
        assert client.post(reverse(name, args=(theirs.pk,))).status_code == 404
    theirs.refresh_from_db()
    assert theirs.review == Review.AWAITING and theirs.collected_on is None


@pytest.mark.django_db
def test_s1_the_auditor_reads_rosters_and_may_not_act_finance_may_not_export(
    client, people, tree, roster
):
    sign_in(client, people.auditor)
    assert client.get(reverse("console:roster", args=(roster.pk,))).status_code == 200
    assert client.post(reverse("console:roster_approve", args=(roster.pk,))).status_code == 403
    assert client.get(reverse("console:roster_export")).status_code == 403
    roster.refresh_from_db()
    assert roster.review == Review.AWAITING
    finance = make_user("finance", "finance", tree.district, True)
    sign_in(client, finance)
    assert client.get(reverse("console:roster_export")).status_code == 403
    assert client.get(reverse("console:roster_forms")).status_code == 403


# --- replays and forgeries ------------------------------------------------------------------


@pytest.mark.django_db
def test_e6_approve_return_and_collect_posted_twice_act_once(client, people, tree):
    enrolled = make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk)
    returned = make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk)
    sign_in(client, people.hutang_admin)
    for _ in range(2):
        client.post(reverse("console:roster_approve", args=(enrolled.pk,)))
        client.post(reverse("console:roster_return", args=(returned.pk,)), {"reason": "缺签字"})
    agency = make_user("agency", "agency", tree.district, True)
    sign_in(client, agency)
    for _ in range(2):
        client.post(
            reverse("console:roster_collect", args=(enrolled.pk,)),
            {"collected_on": scheme_today().isoformat(), "count": "1"},
        )
    counts = {
        action: AuditEvent.objects.filter(action=action).count()
        for action in ("roster.approve", "roster.return", "roster.collect")
    }
    assert counts == {"roster.approve": 1, "roster.return": 1, "roster.collect": 1}


@pytest.mark.django_db
def test_e6_a_post_without_csrf_token_gets_the_expired_form_page(people, tree):
    found = make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk)
    client = Client(enforce_csrf_checks=True)
    sign_in(client, people.hutang_admin)
    response = client.post(reverse("console:roster_approve", args=(found.pk,)))
    assert response.status_code == 403
    assert "请返回并刷新页面，再重新提交。" in response.content.decode()
    found.refresh_from_db()
    assert found.review == Review.AWAITING


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,method",
    [
        ("console:roster_approve", "get"),
        ("console:roster_collect", "get"),
        ("console:roster_forms", "post"),
        ("console:member_form", "post"),
        ("console:roster_export", "put"),
    ],
)
def test_a_wrong_method_is_405(client, people, roster, name, method):
    sign_in(client, people.hutang_admin)
    args = (people.member.pk,) if name == "console:member_form" else ()
    if name in ("console:roster_approve", "console:roster_collect"):
        args = (roster.pk,)
    assert getattr(client, method)(reverse(name, args=args)).status_code == 405


# --- full numbers and the password: never in a URL, a log line or the audit (S2, S3) -----


@pytest.mark.django_db
def test_s2_no_full_number_or_password_in_urls_logs_or_audit(client, people, tree, roster, caplog):
    caplog.set_level(logging.DEBUG)
    clear_id = crypto.decrypt(people.member.id_number_encrypted)
    sign_in(client, people.hutang_admin)
    member_page = client.get(reverse("console:member", args=(people.member.pk,))).content
    form_url = reverse("console:member_form", args=(people.member.pk,))
    assert form_url in member_page.decode() and clear_id not in form_url
    assert client.get(form_url, {"year": "2022"}).status_code == 200
    response = client.post(
        reverse("console:roster_export"),
        {"year": "2022", "unit": tree.hutang.pk, "password": PASSWORD},
    )
    assert response.status_code == 200 and "Location" not in response
    forms = client.get(reverse("console:roster_forms"), {"year": "2022", "unit": tree.hutang.pk})
    assert forms.status_code == 200
    events = AuditEvent.objects.filter(action__in=["roster.export", "roster.forms"])
    assert events.count() == 3
    for event in events:
        text = f"{event.summary} {event.data} {event.path if hasattr(event, 'path') else ''}"
        assert clear_id not in text and PASSWORD not in text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert clear_id not in logged and PASSWORD not in logged


@pytest.mark.django_db
def test_s2_a_password_in_the_query_string_exports_nothing(client, people, tree, roster):
    sign_in(client, people.hutang_admin)
    query = {"year": "2022", "unit": tree.hutang.pk, "password": PASSWORD}
    response = client.get(reverse("console:roster_export"), query)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert PASSWORD not in response.content.decode()
    assert not AuditEvent.objects.filter(action="roster.export").exists()


# --- formula cells stay text (X4, X8) -----------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+1", "@SUM(1+1)", "-2+3", "\t=1+1", "\r=1+1", "=1+1"]


def cells(content: bytes) -> list[openpyxl.cell.Cell]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]


@pytest.mark.django_db
def test_x8_formula_like_employers_are_exported_as_text(client, people, tree):
    for n, text in enumerate(FORMULAS):
        member = add_member(
            tree.hutang_union,
            name="钱七",
            phone=f"1370000{n:04d}",
            union_card=f"62316677000{n:08d}",
        )
        member.employer_name = text
        member.save(update_fields=["employer_name"])
        enroll(member)
    sign_in(client, people.hutang_admin)
    response = client.post(reverse("console:roster_export"), {"year": 2022, "unit": tree.hutang.pk})
    written = cells(response.content)
    assert all(cell.data_type == "s" for cell in written)
    employers = {cell.value for cell in written if cell.column == 6}
    assert {text.strip() for text in FORMULAS} <= {v.strip() for v in employers}


@pytest.mark.django_db
def test_x4_formula_cells_of_a_rejected_row_are_text_in_the_errors_workbook(tree, tmp_path):
    rows = [files.person(n, 手机号码=text, 工作单位=text) for n, text in enumerate(FORMULAS, 1)]
    path = tmp_path / "roster.xlsx"
    path.write_bytes(files.xlsx(files.sheet_rows(rows)))
    call_command(
        "roster", "import", str(path), "--year", "2022", "--signed-on", "2021-11-01",
        "--dry-run", stdout=io.StringIO(),
    )  # fmt: skip
    written = cells((tmp_path / "roster_错误说明.xlsx").read_bytes())
    # The sheet row numbers are numbers; no cell is a formula, the rejected texts are text.
    assert written and all(cell.data_type in ("s", "n") for cell in written)
    assert all(cell.data_type == "s" for cell in written if cell.value in FORMULAS)
    assert "=cmd|' /C calc'!A0" in {cell.value for cell in written}


# --- the forms PDF is bounded per request (X9, S5) ------------------------------------------


@pytest.mark.django_db
def test_x9_a_roster_over_the_page_limit_is_refused_with_a_message(
    client, people, tree, roster, monkeypatch
):
    monkeypatch.setattr(views_rosters_output, "MAX_PAGES", 1)
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:roster_forms"), {"year": 2022, "unit": tree.hutang.pk})
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "一次最多打印1份授权书" in html and "湖塘镇2022年有2名参保职工" in html
    assert not AuditEvent.objects.filter(action="roster.forms").exists()
    # A grassroots union under the limit prints.
    union = client.get(
        reverse("console:roster_forms"), {"year": 2022, "unit": tree.hutang_union.pk}
    )
    assert union["Content-Type"] == "application/pdf"


# --- careless command lines (exit 2, Chinese, no traceback) ---------------------------------


def import_refused(path) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(
            "roster", "import", str(path), "--year", "2022", "--dry-run", stdout=io.StringIO()
        )
    assert caught.value.returncode == 2
    return str(caught.value)


@pytest.mark.django_db
def test_x3_the_import_command_refuses_paths_that_are_no_roster_file(tree, tmp_path):
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.xlsx"
    loop.symlink_to(loop)
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    zero = tmp_path / "zero.xlsx"
    zero.symlink_to("/dev/zero")
    assert "文件夹" in import_refused(folder)
    assert "不存在" in import_refused(tmp_path / "missing.xlsx")
    assert "不是普通文件" in import_refused("/dev/zero")  # size 0, endless: never read
    assert "不是普通文件" in import_refused(zero)
    assert "不是普通文件" in import_refused(fifo)  # would wait for a writer for ever
    assert "符号链接" in import_refused(loop)
    assert "不是有效的 Excel" in import_refused(empty)


@pytest.mark.django_db
def test_s5_the_import_command_refuses_a_zip_bomb(tree, tmp_path):
    source = files.xlsx(files.sheet_rows([files.person(1)]))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as book,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for info in book.infolist():
            bomb.writestr(info.filename, book.read(info))
        bomb.writestr("xl/media/image1.png", bytes(50_000_000))
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(out.getvalue())
    assert "压缩炸弹" in import_refused(path)


@pytest.mark.django_db
def test_x9_the_member_id_number_can_be_given_on_standard_input(
    people, tree, roster, tmp_path, monkeypatch
):
    clear_id = crypto.decrypt(people.member.id_number_encrypted)
    monkeypatch.setattr("sys.stdin", io.StringIO(clear_id + "\n"))
    out = tmp_path / "form.pdf"
    printed = io.StringIO()
    call_command("roster", "forms", "--year", "2022", "--member", "--out", str(out), stdout=printed)
    assert out.read_bytes().startswith(b"%PDF") and clear_id not in printed.getvalue()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError) as caught:
        call_command("roster", "forms", "--year", "2022", "--member", "-", stdout=io.StringIO())
    assert caught.value.returncode == 2 and "未输入身份证号码" in str(caught.value)


@pytest.mark.django_db
def test_x3_the_import_password_can_be_given_on_standard_input(tree, tmp_path, monkeypatch):
    from tests.workbooks import encrypted

    path = tmp_path / "locked.xlsx"
    path.write_bytes(encrypted(files.xlsx(files.sheet_rows([files.person(1)])), PASSWORD))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    printed = io.StringIO()
    call_command(
        "roster", "import", str(path), "--year", "2022", "--signed-on", "2021-11-01",
        "--dry-run", "--json", "--password", stdout=printed,
    )  # fmt: skip
    assert '"imported": 1' in printed.getvalue()


@pytest.mark.django_db
def test_e6_a_return_reason_with_a_nul_is_bad_input_and_nothing_is_returned(client, people, tree):
    found = make_roster(unit=tree.hutang_union, uploader=people.hutang_clerk)
    sign_in(client, people.hutang_admin)
    url = reverse("console:roster_return", args=(found.pk,))
    response = client.post(url, {"reason": "缺签字\x00"})
    assert response.status_code == 400 and "请返回后重试" in response.content.decode()
    found.refresh_from_db()
    assert found.review == Review.AWAITING


@pytest.mark.django_db
def test_s2_files_the_commands_write_with_full_numbers_are_owner_only(tree, roster, tmp_path):
    # The forms carry full ID numbers; the errors workbook the rows as typed (SPEC S2).
    previous = os.umask(0o022)
    try:
        out = tmp_path / "forms.pdf"
        out.write_bytes(b"old")  # an existing file is narrowed too
        out.chmod(0o644)
        call_command(
            "roster",
            "forms",
            "--year",
            "2022",
            "--unit",
            tree.hutang_union.name,
            "--out",
            str(out),
            stdout=io.StringIO(),
        )
        assert out.read_bytes().startswith(b"%PDF")
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        source = tmp_path / "bad.xlsx"
        source.write_bytes(
            files.xlsx(files.sheet_rows([files.person(1, **{"身份证号码": "1234"})]))
        )
        call_command(
            "roster", "import", str(source), "--year", "2022", "--dry-run", stdout=io.StringIO()
        )
        errors = tmp_path / "bad_错误说明.xlsx"
        assert errors.exists() and stat.S_IMODE(errors.stat().st_mode) == 0o600
    finally:
        os.umask(previous)


@pytest.mark.django_db
def test_the_targets_import_refuses_a_device_or_a_pipe(tree, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path in ("/dev/zero", fifo):
        with pytest.raises(CommandError) as caught:
            call_command("targets", "import", str(path), stdout=io.StringIO())
        assert caught.value.returncode == 2 and "不是普通文件" in str(caught.value)
