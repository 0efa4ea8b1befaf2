"""Roster import (SPEC X1–X7, E3–E6, M1–M6, S2)."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.enrollment import services as enrollment_services
from huzhu.enrollment.models import Authorization, Enrollment, EnrollmentChange, State
from huzhu.jobs.models import Job, JobStatus
from huzhu.jobs.progress import Progress
from huzhu.members import crypto
from huzhu.members.models import ChangeKind, Member, MemberChange
from huzhu.org.models import Unit
from huzhu.rosters.importer import import_roster
from huzhu.rosters.models import ImportStatus, Review, RosterUpload, Source
from huzhu.rosters.reader import RosterFileError, read_roster
from huzhu.tabular import read_rows
from tests.rosters import files
from tests.workbooks import encrypted


def run(content, *, filename="roster.xlsx", unit=None, kind="new", on=files.SIGNED_ON, **kw):
    options = {
        "password": None,
        "year": 2022,
        "actor": None,
        "dry_run": False,
        "upload": None,
    }
    options.update(kw)
    return import_roster(
        content=content, filename=filename, kind=kind, signed_on=on, unit=unit, **options
    )


def rejected(result) -> dict[int, list[str]]:
    return {row.row: row.errors for row in result.rejected_rows}


def member_of(n: int) -> Member:
    return Member.objects.get(id_number_hash=crypto.lookup_hash("id", files.id_number(n)))


# --- X1, X2, X3: reading ------------------------------------------------------------------


@pytest.mark.django_db
def test_x1_x2_a_roster_like_attachment4_imports_its_members_and_skips_the_rest(tree):
    content = files.xlsx(files.sheet_rows([files.person(n) for n in range(1, 4)]))
    table = read_roster(content, "r.xlsx", None)
    # Titles (rows 1–2) and header (row 3) above; 序号-only rows and 注 line below.
    assert [row.row for row in table.rows] == [4, 5, 6]
    result = run(content, unit=tree.hutang_union)
    assert (result.imported, result.already_enrolled, result.rejected) == (3, 0, 0)
    enrollment = Enrollment.objects.get(member=member_of(2), year=2022)
    # E1: the units and employer of the roster, as a snapshot.
    assert enrollment.organizing_unit == tree.hutang
    assert enrollment.grassroots_union == tree.hutang_union
    assert enrollment.employer_name == "湖塘镇甲公司"
    assert enrollment.state == State.AUTHORIZED
    authorization = enrollment.authorizations.get()
    assert (authorization.channel, authorization.source) == ("paper", "roster")
    assert authorization.signed_on == files.SIGNED_ON
    assert (
        EnrollmentChange.objects.filter(enrollment=enrollment, to_state="authorized").count() == 1
    )
    member = member_of(2)
    assert crypto.decrypt(member.id_number_encrypted) == files.id_number(2)  # S2
    assert member.id_number_masked.startswith("320412") and "*" in member.id_number_masked
    assert member.unit == tree.hutang_union
    tree.hutang_union.refresh_from_db()
    assert tree.hutang_union.member_count == 3
    event = AuditEvent.objects.get(action=Action.ROSTER_IMPORT)
    assert event.data["imported"] == 3


@pytest.mark.django_db
def test_x2_header_variants_spaces_and_full_width_brackets(tree):
    header = [
        "序 号",
        "乡镇（街道）",
        "姓　名",
        "身份证号",
        "联系电话",
        "单位",
        "工会服务卡账号",
        "是否参加常州市基本医保（是/否）",
        "备注",
    ]
    rows = [["汇总表"], header, files.person(1)]
    result = run(files.csv_bytes(rows), filename="r.csv", unit=tree.hutang_union)
    assert result.imported == 1, result.rejected_rows


@pytest.mark.django_db
def test_x3_encrypted_xlsx_with_its_password_and_a_clear_message_without(tree):
    content = encrypted(files.xlsx(files.sheet_rows([files.person(1)])), "武进2022")
    assert run(content, password="武进2022", unit=tree.hutang_union).imported == 1
    with pytest.raises(RosterFileError, match="密码"):
        run(content, password=None)
    with pytest.raises(RosterFileError, match="密码"):
        run(content, password="wrong")


@pytest.mark.django_db
def test_x3_xls_and_gbk_csv(tree):
    rows = files.sheet_rows([files.person(1), files.person(2)])
    assert run(files.xls(rows), filename="r.xls", unit=tree.hutang_union).imported == 2
    gbk = files.csv_bytes(files.sheet_rows([files.person(3)]), "gbk")
    assert run(gbk, filename="r.csv", unit=tree.hutang_union).imported == 1


@pytest.mark.django_db
def test_x2_a_file_without_the_header_is_not_a_roster(tree):
    with pytest.raises(RosterFileError, match="表头"):
        run(files.csv_bytes([["甲", "乙"], ["1", "2"]]), filename="r.csv")
    with pytest.raises(RosterFileError, match="不支持"):
        run(b"hello", filename="r.pdf")


# --- X4: a reason per bad cell, in Chinese, naming the column ------------------------------


BAD_CELLS = [
    ("M2 check character", {"身份证号码": files.id_number(5)[:17] + "0"}, "身份证号码", "校验"),
    ("M2 birth date", {"身份证号码": "320412198013320011"}, "身份证号码", "出生日期"),
    ("M2 15 digits", {"身份证号码": "320412800101001"}, "身份证号码", "18"),
    ("M3 phone", {"手机号码": "0519-8888888"}, "手机号码", "手机"),
    ("M4 card", {"工会卡卡号": "12345"}, "工会卡卡号", "16"),
    ("M5 name", {"姓名": "张3"}, "姓名", "汉字"),
    ("M6 no insurance", {"是否参加常州基本医保": "否"}, "是否参加常州基本医保", "不能参保"),
    ("X7 unknown town", {"乡镇": "火星镇"}, "乡镇", "不是已知的组织单位"),
    ("numeric ID cell", {"身份证号码": 320412198001010011}, "身份证号码", "文本"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides,column,words", [case[1:] for case in BAD_CELLS], ids=[c[0] for c in BAD_CELLS]
)
def test_x4_each_bad_cell_is_a_reason_naming_its_column(tree, overrides, column, words):
    content = files.xlsx(files.sheet_rows([files.person(1), files.person(5, **overrides)]))
    result = run(content, unit=tree.hutang_union)
    assert (result.imported, result.rejected) == (1, 1)
    (reason,) = rejected(result)[5]
    assert reason.startswith(column + "：")
    assert words in reason


@pytest.mark.django_db
def test_x4_every_bad_cell_of_a_row_is_listed(tree):
    row = files.person(1, 姓名="", 手机号码="123", 工会卡卡号="abc")
    result = run(files.xlsx(files.sheet_rows([row])), unit=tree.hutang_union)
    reasons = rejected(result)[4]
    assert [reason.split("：")[0] for reason in reasons] == ["姓名", "手机号码", "工会卡卡号"]


@pytest.mark.django_db
def test_x4_the_errors_workbook_has_the_original_columns_row_numbers_and_reasons(tree):
    formula = files.person(2, 姓名="=HYPERLINK(1)")
    content = files.xlsx(files.sheet_rows([files.person(1), formula]))
    result = run(content, unit=tree.hutang_union)
    book = read_rows(result.errors_workbook, "e.xlsx")
    assert book[0] == ["行号", *files.HEADER, "错误说明"]
    assert book[1][0] == "5" and book[1][3] == "=HYPERLINK(1)"  # kept as text
    assert book[1][-1].startswith("姓名：")
    assert len(book) == 2


@pytest.mark.django_db
def test_x7_the_town_must_be_the_submitting_unions_organizing_unit(tree):
    content = files.xlsx(files.sheet_rows([files.person(1, 乡镇="牛塘镇")]))
    (reason,) = rejected(run(content, unit=tree.hutang_union))[4]
    assert reason.startswith("乡镇：") and "湖塘镇" in reason


@pytest.mark.django_db
def test_x7_the_town_is_trimmed(tree):
    content = files.xlsx(files.sheet_rows([files.person(1, 乡镇=" 湖塘镇　")]))
    assert run(content, unit=tree.hutang_union).imported == 1


# --- X5, M4: duplicates ---------------------------------------------------------------


@pytest.mark.django_db
def test_x5_a_duplicate_id_inside_the_file_is_rejected_naming_the_first_row(tree):
    again = files.person(1, 序号="3", 手机号码="13900000099")
    content = files.xlsx(files.sheet_rows([files.person(1), files.person(2), again]))
    result = run(content, unit=tree.hutang_union)
    assert (result.imported, result.rejected) == (2, 1)
    (reason,) = rejected(result)[6]
    assert reason.startswith("身份证号码：") and "第4行" in reason


@pytest.mark.django_db
def test_m4_a_card_held_by_another_members_id_is_rejected(tree, people):
    taken = files.person(1, 工会卡卡号="6231660000000000001")  # 张三's card
    content = files.xlsx(files.sheet_rows([taken, files.person(2)]))
    result = run(content, unit=tree.hutang_union)
    (reason,) = rejected(result)[4]
    assert reason.startswith("工会卡卡号：") and "其他职工" in reason
    assert "张三" not in reason  # S2: the holder is not named
    assert result.imported == 1


@pytest.mark.django_db
def test_m4_a_card_named_twice_in_the_file_for_two_ids_is_rejected(tree):
    second = files.person(2, 工会卡卡号=files.person(1)[6])
    result = run(files.xlsx(files.sheet_rows([files.person(1), second])), unit=tree.hutang_union)
    (reason,) = rejected(result)[5]
    assert reason.startswith("工会卡卡号：") and "第4行" in reason


# --- E3, E4, E5, X6 --------------------------------------------------------------------


@pytest.mark.django_db
def test_e3_a_roster_signed_outside_the_window_is_rejected_with_the_window(tree):
    content = files.xlsx(files.sheet_rows([files.person(1)]))
    result = run(content, unit=tree.hutang_union, on=datetime.date(2022, 1, 5))
    (reason,) = rejected(result)[4]
    assert "2021年10月11日" in reason and "2021年12月25日" in reason
    assert not Enrollment.objects.exists()


def _paid_2021(member, union):
    enrollment = Enrollment.objects.create(
        member=member,
        year=2021,
        organizing_unit=union.parent,
        grassroots_union=union,
        unit_path=union.path,
        state=State.PAID,
    )
    return enrollment


@pytest.mark.django_db
def test_e4_renewal_roster_checks_each_row(tree):
    content = files.xlsx(files.sheet_rows([files.person(n) for n in (1, 2, 3)]))
    run(content, unit=tree.hutang_union, year=2021, on=datetime.date(2020, 11, 25))
    _paid = {n: member_of(n) for n in (1, 2, 3)}
    Enrollment.objects.filter(year=2021, member__in=[_paid[1], _paid[2]]).update(state=State.PAID)
    # Member 2 was in 乙公司 last year: the unit changed.
    Enrollment.objects.filter(year=2021, member=_paid[2]).update(
        grassroots_union=tree.hutang_union_b
    )
    result = run(content, unit=tree.hutang_union, kind="renewal")
    assert result.imported == 1
    reasons = rejected(result)
    assert "请按新参保签约" in reasons[5][0]
    assert "上一年度未缴费" in reasons[6][0]
    authorization = Authorization.objects.get(enrollment__member=_paid[1], enrollment__year=2022)
    assert authorization.channel == "renewal"


@pytest.mark.django_db
def test_x6_importing_the_same_file_twice_changes_nothing_the_second_time(tree):
    content = files.xlsx(files.sheet_rows([files.person(n) for n in range(1, 6)]))
    first = run(content, unit=tree.hutang_union)
    counts = [
        model.objects.count()
        for model in (Member, Enrollment, Authorization, EnrollmentChange, MemberChange)
    ]
    second = run(content, unit=tree.hutang_union)
    assert (first.imported, second.imported, second.already_enrolled) == (5, 0, 5)
    assert counts == [
        model.objects.count()
        for model in (Member, Enrollment, Authorization, EnrollmentChange, MemberChange)
    ]


@pytest.mark.django_db
def test_e5_a_member_signed_online_is_already_enrolled_and_a_revoked_one_signs_again(tree, people):
    enrollment_services.sign(
        member=people.member,
        year=2022,
        channel="online",
        signed_on=files.SIGNED_ON,
        source="console",
        actor=None,
    )
    row = files.person(1, 身份证号码=crypto.decrypt(people.member.id_number_encrypted))
    row[6] = "6231660000000000001"
    content = files.xlsx(files.sheet_rows([row]))
    assert run(content, unit=tree.hutang_union).already_enrolled == 1
    enrollment_services.revoke(member=people.member, year=2022, actor=None, source="console")
    assert run(content, unit=tree.hutang_union).imported == 1
    enrollment = Enrollment.objects.get(member=people.member, year=2022)
    assert enrollment.state == State.AUTHORIZED
    assert enrollment.authorizations.filter(active=True).count() == 1
    assert enrollment.changes.filter(from_state="revoked", to_state="authorized").exists()


@pytest.mark.django_db
def test_known_members_details_are_updated_with_masked_history_naming_the_roster(tree, people):
    id_number = crypto.decrypt(people.member.id_number_encrypted)
    row = files.person(1, 身份证号码=id_number, 姓名="张三丰", 手机号码="13800001234")
    row[6] = "6231660000000000001"
    run(files.xlsx(files.sheet_rows([row])), filename="湖塘甲.xlsx", unit=tree.hutang_union)
    people.member.refresh_from_db()
    assert people.member.name == "张三丰"
    assert crypto.decrypt(people.member.phone_encrypted) == "13800001234"
    change = MemberChange.objects.get(member=people.member, kind=ChangeKind.EDIT)
    assert "湖塘甲.xlsx" in change.actor_label
    assert {c["field"] for c in change.changes} == {"name", "phone"}
    assert "13800001234" not in json.dumps(change.changes)  # S2: masked only


@pytest.mark.django_db
def test_a_known_member_on_another_unions_roster_moves_there_with_history(tree, people):
    row = files.person(1, 身份证号码=crypto.decrypt(people.member.id_number_encrypted))
    row[6] = "6231660000000000001"
    run(files.xlsx(files.sheet_rows([row])), unit=tree.hutang_union_b)
    people.member.refresh_from_db()
    assert people.member.unit == tree.hutang_union_b
    assert MemberChange.objects.filter(member=people.member, kind=ChangeKind.MOVE).exists()
    out = io.StringIO()
    call_command("member_counts", "--check", stdout=out)


@pytest.mark.django_db
def test_rows_without_a_submitting_union_are_held_under_their_town(tree):
    content = files.xlsx(files.sheet_rows([files.person(1), files.person(2, 乡镇="牛塘镇")]))
    assert run(content).imported == 2
    held = member_of(2)
    assert held.unit == tree.niutang
    enrollment = Enrollment.objects.get(member=held)
    assert enrollment.grassroots_union is None
    assert enrollment.organizing_unit == tree.niutang
    assert enrollment.unit_path == tree.niutang.path
    assert Unit.objects.get(pk=tree.niutang.pk).member_count == 1
    call_command("member_counts", "--check", stdout=io.StringIO())


@pytest.mark.django_db
def test_a_dry_run_reports_the_same_and_writes_nothing(tree, people):
    content = files.xlsx(
        files.sheet_rows([files.person(1), files.person(2, 乡镇="火星镇"), files.person(3)])
    )
    models = (Member, Enrollment, Authorization, EnrollmentChange, MemberChange, AuditEvent)
    before = [model.objects.count() for model in models]
    dry = run(content, unit=tree.hutang_union, dry_run=True)
    assert before == [model.objects.count() for model in models]
    real = run(content, unit=tree.hutang_union)
    assert (dry.imported, dry.already_enrolled, dry.rejected) == (2, 0, 1)
    assert (real.imported, real.rejected) == (dry.imported, dry.rejected)
    assert dry.rejected_rows == real.rejected_rows


@pytest.mark.django_db
def test_queries_do_not_grow_per_row(tree):
    def queries(first: int, count: int) -> int:
        people = [files.person(n) for n in range(first, first + count)]
        content = files.xlsx(files.sheet_rows(people))
        with CaptureQueriesContext(connection) as captured:
            assert run(content, unit=tree.hutang_union).imported == count
        return len(captured)

    small, large = queries(1, 50), queries(1000, 500)
    # Ten times the rows: a few more insert statements (SQLite's 999 parameters split
    # them), never one query per row.
    assert large - small < 60, (small, large)


# --- the command ------------------------------------------------------------------------


def command(*args):
    out = io.StringIO()
    call_command("roster", "import", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_x4_the_command_prints_the_agreed_json_and_keeps_the_upload(tree, tmp_path):
    path = tmp_path / "湖塘镇甲公司工会1101.xlsx"
    bad = files.person(2, 手机号码="123")
    path.write_bytes(files.xlsx(files.sheet_rows([files.person(1), bad])))
    printed = json.loads(
        command(
            path,
            "--year",
            2022,
            "--signed-on",
            "2021-11-01",
            "--unit",
            "湖塘镇甲公司工会",
            "--json",
        )
    )
    errors_file = str(tmp_path / "湖塘镇甲公司工会1101_错误说明.xlsx")
    assert printed == {
        "imported": 1,
        "already_enrolled": 0,
        "rejected": 1,
        "rejected_rows": [{"row": 5, "errors": [printed["rejected_rows"][0]["errors"][0]]}],
        "errors_file": errors_file,
    }
    assert printed["rejected_rows"][0]["errors"][0].startswith("手机号码：")
    assert list(printed) == [
        "imported",
        "already_enrolled",
        "rejected",
        "rejected_rows",
        "errors_file",
    ]
    upload = RosterUpload.objects.get()
    assert (upload.source, upload.review, upload.status) == (
        Source.COMMAND,
        Review.APPROVED,
        ImportStatus.IMPORTED,
    )
    assert (upload.imported, upload.rejected, upload.unit) == (1, 1, tree.hutang_union)
    assert upload.errors_file is not None and upload.reviewed_at is not None
    assert Authorization.objects.get().roster == upload


@pytest.mark.django_db
def test_the_command_without_rejections_prints_null_and_a_dry_run_keeps_nothing(tree, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(files.csv_bytes(files.sheet_rows([files.person(1)])))
    args = (path, "--year", 2022, "--signed-on", "2021-11-01", "--json")
    dry = json.loads(command(*args, "--dry-run"))
    assert dry["imported"] == 1 and dry["errors_file"] is None
    assert not RosterUpload.objects.exists() and not Member.objects.exists()
    assert json.loads(command(*args))["imported"] == 1
    assert json.loads(command(*args))["already_enrolled"] == 1  # X6


@pytest.mark.django_db
def test_the_command_exits_2_when_the_file_cannot_be_read(tree, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(encrypted(files.xlsx(files.sheet_rows([files.person(1)])), "pw"))
    with pytest.raises(CommandError, match="密码") as caught:
        command(path, "--year", 2022, "--json")
    assert caught.value.returncode == 2
    assert RosterUpload.objects.get().status == ImportStatus.FAILED
    with pytest.raises(CommandError) as caught:
        command(path, "--year", 2022, "--password", "pw", "--signed-on", "11/1")
    assert caught.value.returncode == 2
    with pytest.raises(CommandError) as caught:
        command(tmp_path / "missing.xlsx", "--year", 2022)
    assert caught.value.returncode == 2
    with pytest.raises(CommandError, match="基层工会") as caught:
        command(path, "--year", 2022, "--unit", "不存在工会")
    assert caught.value.returncode == 2


@pytest.mark.django_db
def test_the_jobs_progress_moves_with_the_checked_rows(tree, people):
    job = Job.objects.create(
        kind="rosters.import",
        started_by=people.hutang_clerk,
        unit_path=tree.hutang_union.path,
        status=JobStatus.RUNNING,
        created_at=timezone.now(),
    )
    content = files.xlsx(files.sheet_rows([files.person(n) for n in range(1, 8)]))
    run(content, unit=tree.hutang_union, progress=Progress(job, every=1))
    job.refresh_from_db()
    assert (job.done, job.total) == (7, 7)


@pytest.mark.django_db
def test_x2_a_header_lacking_a_required_column_names_it(tree):
    header = [column for column in files.HEADER if column != "工会卡卡号"]
    with pytest.raises(RosterFileError, match="工会卡卡号"):
        run(files.csv_bytes([header, ["1", "湖塘镇", "张三"]]), filename="r.csv")


@pytest.mark.django_db
def test_e4_the_command_imports_a_renewal_roster_as_renewals(tree, tmp_path):
    path = tmp_path / "续保.xlsx"
    path.write_bytes(files.xlsx(files.sheet_rows([files.person(1)])))
    run(path.read_bytes(), unit=tree.hutang_union, year=2021, on=datetime.date(2020, 11, 25))
    Enrollment.objects.filter(year=2021).update(state=State.PAID)
    printed = json.loads(
        command(path, "--year", 2022, "--signed-on", "2021-11-01", "--renewal", "--json")
    )
    assert printed["imported"] == 1, printed
    assert RosterUpload.objects.get().kind == "renewal"
    assert Authorization.objects.get(enrollment__year=2022).channel == "renewal"


@pytest.mark.django_db
def test_a_known_member_without_a_submitting_union_is_enrolled_where_they_stand(tree, people):
    row = files.person(1, 身份证号码=crypto.decrypt(people.member.id_number_encrypted))
    row[6] = "6231660000000000001"
    assert run(files.xlsx(files.sheet_rows([row]))).imported == 1
    enrollment = Enrollment.objects.get(member=people.member)
    assert enrollment.grassroots_union == tree.hutang_union
    assert enrollment.unit_path == tree.hutang_union.path
    people.member.refresh_from_db()
    assert people.member.unit == tree.hutang_union  # not moved


# --- the write paths chosen for speed ------------------------------------------------------


@pytest.mark.django_db
def test_x6_the_write_pass_stores_every_column_and_skips_conflicts_on_each_database(tree):
    # PostgreSQL copies the rows into a staging table and moves them with ON CONFLICT DO
    # NOTHING; SQLite runs one statement per row. Both store the same values, and a member
    # already there (inserted by another import meanwhile) is met without an error.
    content = files.xlsx(files.sheet_rows([files.person(n) for n in range(1, 4)]))
    assert run(content, unit=tree.hutang_union).imported == 3
    member = member_of(3)
    assert crypto.decrypt(member.union_card_encrypted) == f"62316688{3:011d}"
    assert member.phone_hash == crypto.lookup_hash("phone", f"139{3:08d}")
    assert member.unit == tree.hutang_union and member.has_basic_insurance
    enrollment = Enrollment.objects.get(member=member, year=2022)
    authorization = enrollment.authorizations.get()
    assert authorization.active and authorization.signed_on == files.SIGNED_ON
    assert authorization.created_at is not None and authorization.created_at.tzinfo is not None
    change = EnrollmentChange.objects.get(enrollment=enrollment)
    assert (change.from_state, change.to_state) == ("", State.AUTHORIZED)
    # The same file again: nothing new, nothing lost, no staging table left behind the
    # transaction (it is dropped at commit on PostgreSQL).
    again = run(content, unit=tree.hutang_union)
    assert (again.imported, again.already_enrolled) == (0, 3)
    hashes = [crypto.lookup_hash("id", files.id_number(n)) for n in range(1, 4)]
    assert Member.objects.filter(id_number_hash__in=hashes).count() == 3
    assert Authorization.objects.filter(enrollment__member__id_number_hash__in=hashes).count() == 3


@pytest.mark.django_db
def test_the_sqlite_page_cache_is_put_back_after_the_write(tree):
    if connection.vendor != "sqlite":
        pytest.skip("an SQLite setting")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
    content = files.xlsx(files.sheet_rows([files.person(1)]))
    assert run(content, unit=tree.hutang_union).imported == 1
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == before


@pytest.mark.django_db
def test_x6_a_roster_written_in_several_chunks_loses_no_row(tree, monkeypatch):
    from huzhu.rosters import importer

    monkeypatch.setattr(importer, "CHUNK", 2)
    monkeypatch.setattr(importer, "POSTGRES_WRITE_CHUNK", 2)
    content = files.xlsx(files.sheet_rows([files.person(n) for n in range(1, 6)]))
    result = run(content, unit=tree.hutang_union)
    assert (result.imported, result.already_enrolled, result.rejected) == (5, 0, 0)
    hashes = [crypto.lookup_hash("id", files.id_number(n)) for n in range(1, 6)]
    assert Authorization.objects.filter(enrollment__member__id_number_hash__in=hashes).count() == 5
    assert (
        EnrollmentChange.objects.filter(enrollment__member__id_number_hash__in=hashes).count() == 5
    )
    again = run(content, unit=tree.hutang_union)
    assert (again.imported, again.already_enrolled) == (0, 5)
