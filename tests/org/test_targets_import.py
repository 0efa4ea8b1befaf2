"""A typo in a targets file must not create a phantom unit (issue 6, SPEC T5, X7)."""

import csv
import io
from importlib import resources

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from huzhu.audit.models import AuditEvent
from huzhu.org.models import Target, Unit, UnitKind
from huzhu.org.reports import report_workbook
from huzhu.org.rules import TargetFileError, parse_target_table
from huzhu.org.selectors import district_target_report
from huzhu.org.services import create_unit, district, import_targets, unlisted_units
from huzhu.tabular import read_rows
from tests.workbooks import encrypted

NOTICE = resources.files("huzhu").joinpath("data/targets-2022.csv").read_text("utf-8")


def notice_rows() -> list[list[str]]:
    return list(csv.reader(NOTICE.splitlines()))


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("targets", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def with_typo() -> list[list[str]]:
    """牛塘町 for 牛塘镇, its targets added to the 合计 so the file adds up."""
    rows = notice_rows()
    row = next(r for r in rows if r[1] == "牛塘镇")
    row[1] = "牛塘町"
    return rows


@pytest.mark.django_db
def test_the_first_import_into_an_empty_tree_creates_the_units_and_says_so(tmp_path):
    code, out, _err = run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    assert code == 0
    assert "单位树中原来没有组织单位，已按文件新建 29 个" in out
    assert Unit.objects.filter(kind="organizing").count() == 29


@pytest.mark.django_db
def test_t5_a_typo_in_a_unit_name_is_an_error_naming_the_row_and_nothing_is_imported(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    before = list(Target.objects.order_by("pk").values())
    code, _out, err = run("import", str(write_csv(tmp_path / "typo.csv", with_typo())))
    assert code == 2
    line = next(i for i, r in enumerate(with_typo(), start=1) if r[1] == "牛塘町")
    assert f"第 {line} 行" in err and "牛塘町" in err and "--create-units" in err
    assert not Unit.objects.filter(name="牛塘町").exists()
    assert list(Target.objects.order_by("pk").values()) == before
    assert district_target_report(year=2022).total.target == 82200
    rejected = AuditEvent.objects.get(action="upload.rejected")
    assert rejected.data["name"] == "typo.csv" and "牛塘町" in rejected.data["reason"]
    assert rejected.data["size"] > 0


@pytest.mark.django_db
def test_create_units_is_an_explicit_choice_that_lists_the_units(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    rows = notice_rows()
    rows.insert(-1, ["30", "高新技术园", "", "", "", "100"])
    total = rows[-1]
    total[5] = str(int(total[5]) + 100)
    code, out, _err = run("import", str(write_csv(tmp_path / "new.csv", rows)), "--create-units")
    assert code == 0 and "已新建组织单位：高新技术园" in out
    assert Target.objects.get(unit__name="高新技术园", year=2022).target == 100
    event = AuditEvent.objects.filter(action="targets.import").latest("id")
    assert event.data["created_units"] == ["高新技术园"]


@pytest.mark.django_db
def test_a_deactivated_unit_in_the_file_is_an_error(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    Unit.objects.filter(name="其他").update(active=False)
    parsed = parse_target_table(read_rows(NOTICE.encode(), "t.csv"))
    with pytest.raises(TargetFileError) as error:
        import_targets(actor=None, parsed=parsed)
    assert "其他" in error.value.errors[0] and "已停用" in error.value.errors[0]


@pytest.mark.django_db
def test_a_unit_named_like_a_formula_is_text_in_the_excel_report(tmp_path):
    rows = notice_rows()
    rows[1][1] = '=HYPERLINK("http://evil.example","高新区")'
    run("import", str(write_csv(tmp_path / "t.csv", rows)))
    sheet = load_workbook(io.BytesIO(report_workbook(district_target_report(year=2022)))).active
    cell = sheet["B3"]
    assert cell.value == rows[1][1] and cell.data_type == "s" and cell.quotePrefix


@pytest.mark.django_db
def test_the_excel_report_imports_back_unchanged(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    before = list(Target.objects.order_by("pk").values())
    (tmp_path / "report.xlsx").write_bytes(report_workbook(district_target_report(year=2022)))
    code, _out, err = run("import", str(tmp_path / "report.xlsx"))
    assert code == 0, err
    assert list(Target.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_a_hostile_file_on_the_command_line_exits_2_with_a_short_message(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(b"," * 1_000_000)
    code, _out, err = run("import", str(path))
    assert code == 2 and "CSV" in err and len(err) < 400
    assert AuditEvent.objects.filter(action="upload.rejected").count() == 1


def renamed(rows, old: str, new: str) -> list[list[str]]:
    next(r for r in rows if r[1] == old)[1] = new
    return rows


@pytest.mark.django_db
def test_t5_reimporting_with_a_renamed_unit_keeps_the_totals_right(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    path = write_csv(tmp_path / "renamed.csv", renamed(notice_rows(), "牛塘镇", "牛塘新区"))
    code, _out, err = run("import", str(path), "--create-units")
    # 牛塘镇 holds figures the file replaces but is not listed: nothing is written until the
    # person says the file is complete.
    assert code == 2 and "牛塘镇" in err and "--clear-unlisted" in err
    assert district_target_report(year=2022).total.target == 82200
    code, out, _err = run("import", str(path), "--create-units", "--clear-unlisted")
    assert code == 0 and "已清除文件中未列出的组织单位的数据：牛塘镇" in out
    # Before, 牛塘镇 kept its 2022 target and 2021 figures next to 牛塘新区's copy of them.
    report = district_target_report(year=2022)
    assert report.total.target == 82200
    assert (report.total.previous_target, report.total.previous_completed) == (77200, 61215)
    assert district_target_report(year=2021).total.target == 77200
    old = Target.objects.filter(unit__name="牛塘镇")
    assert {(t.year, t.target, t.imported_completed) for t in old} == {
        (2021, None, None),
        (2022, None, None),
    }
    event = AuditEvent.objects.filter(action="targets.import").latest("id")
    assert event.data["cleared_units"] == ["牛塘镇"]


@pytest.mark.django_db
def test_t5_a_unit_without_figures_is_not_listed_as_cleared(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    create_unit(actor=None, name="新设单位", kind=UnitKind.ORGANIZING, parent=district())
    parsed = parse_target_table(notice_rows())
    assert unlisted_units(parsed) == []
    assert import_targets(actor=None, parsed=parsed).cleared == []


@pytest.mark.django_db
def test_t5_a_next_year_file_leaves_the_plan_year_completed_counts_alone(tmp_path):
    # A 2023 file writes 2023 targets and 2022 figures; 2022's file had written 2022
    # targets. A unit dropped in 2023 loses its 2022 figures, and nothing of 2021.
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    rows = [["序号", "所属单位", "2022年任务数", "2022年完成数", "完成率%", "2023年计划任务数"]]
    rows += [["1", "湖塘镇", "6000", "5000", "", "7000"]]
    code, _out, err = run(
        "import", str(write_csv(tmp_path / "t2023.csv", rows)), "--clear-unlisted"
    )
    assert code == 0, err
    assert district_target_report(year=2021).total.target == 77200
    assert district_target_report(year=2022).total.target == 6000
    assert Target.objects.get(unit__name="湖塘镇", year=2022).imported_completed == 5000


@pytest.mark.django_db
def test_s5_a_nul_in_a_unit_name_is_refused_on_the_command_line_without_a_traceback(tmp_path):
    # On PostgreSQL this was a DataError traceback from --create-units.
    rows = notice_rows()
    rows[10][1] = "牛塘\x00镇"
    code, _out, err = run("import", str(write_csv(tmp_path / "nul.csv", rows)), "--create-units")
    assert code == 2 and "B11" in err and "控制字符" in err and "\x00" not in err
    assert not Unit.objects.filter(kind="organizing").exists()
    rejected = AuditEvent.objects.get(action="upload.rejected")
    assert "B11" in rejected.data["reason"] and "\x00" not in rejected.data["reason"]


@pytest.mark.django_db
def test_x3_an_encrypted_workbook_is_imported_with_the_password_asked_for(tmp_path):
    book = Workbook()
    for row in notice_rows():
        book.active.append(row)
    plain = io.BytesIO()
    book.save(plain)
    path = tmp_path / "locked.xlsx"
    path.write_bytes(encrypted(plain.getvalue(), "武进2022"))

    code, _out, err = run("import", str(path))
    assert code == 2 and "已加密" in err and "--password" in err
    code, _out, err = run_with_input("wrong\n", "import", str(path), "--password")
    assert code == 2 and "密码错误" in err and "wrong" not in err
    code, out, err = run_with_input("武进2022\n", "import", str(path), "--password")
    assert code == 0, err
    assert "武进2022" not in out + err
    assert Target.objects.get(unit__name="湖塘镇", year=2022).target == 6000
    reasons = [e.data["reason"] for e in AuditEvent.objects.filter(action="upload.rejected")]
    assert len(reasons) == 2 and not any("wrong" in r for r in reasons)


def run_with_input(text, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("targets", *args, stdout=out, stderr=err, stdin=io.StringIO(text))
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_the_report_command_refuses_a_year_out_of_range_and_an_unwritable_file(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    with pytest.raises(CommandError) as error:
        call_command("targets", "report", "--year", "99999999999999999999999")
    assert error.value.returncode == 2 and "2000" in str(error.value)
    code, _out, _err = run("report", "--year", "2022", "--out", str(tmp_path / "no" / "r.xlsx"))
    assert code == 2
