"""A typo in a targets file must not create a phantom unit (issue 6, SPEC T5, X7)."""

import csv
import io
from importlib import resources

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from huzhu.audit.models import AuditEvent
from huzhu.org.models import Target, Unit
from huzhu.org.reports import report_workbook
from huzhu.org.rules import TargetFileError, parse_target_table
from huzhu.org.selectors import target_report
from huzhu.org.services import import_targets
from huzhu.tabular import read_rows

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
    assert target_report(2022).total.target == 82200
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
    sheet = load_workbook(io.BytesIO(report_workbook(target_report(2022)))).active
    cell = sheet["B3"]
    assert cell.value == rows[1][1] and cell.data_type == "s" and cell.quotePrefix


@pytest.mark.django_db
def test_the_excel_report_imports_back_unchanged(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    before = list(Target.objects.order_by("pk").values())
    (tmp_path / "report.xlsx").write_bytes(report_workbook(target_report(2022)))
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
