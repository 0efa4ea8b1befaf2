"""`huzhu targets import` and `huzhu targets report` (SPEC T2–T5, §12)."""

import csv
import io
from decimal import Decimal
from importlib import resources

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from huzhu.audit.models import AuditEvent
from huzhu.org.models import Target, Unit

NOTICE = resources.files("huzhu").joinpath("data/targets-2022.csv")


def notice_rows() -> list[list[str]]:
    return list(csv.reader(NOTICE.read_text("utf-8").splitlines()))


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("targets", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_t5_import_then_report_gives_back_every_number_of_the_notice(tmp_path, capsys):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    run("report", "--year", "2022")
    printed = capsys.readouterr().out.splitlines()
    expected = notice_rows()
    assert printed[0] == "2022年互助保障目标任务清单"
    assert printed[1].split() == expected[0]
    for line, row in zip(printed[2:], expected[1:], strict=True):
        assert line.split() == [cell for cell in row if cell], line


@pytest.mark.django_db
def test_t5_report_as_xlsx_holds_the_same_cells(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    out = tmp_path / "report.xlsx"
    run("report", "--year", "2022", "--out", str(out))
    sheet = load_workbook(out).active

    def shown(cell) -> str:
        # What Excel displays: rates are numbers formatted as percentages (issue 6).
        if cell.value is None:
            return ""
        if cell.number_format == "0.00%":
            return f"{Decimal(str(cell.value)) * 100:.2f}%"
        return str(cell.value)

    values = [[shown(c) for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "2022年互助保障目标任务清单"
    assert values[1:] == notice_rows()
    rates = [row[4] for row in sheet.iter_rows(min_row=3) if row[4].value is not None]
    assert rates and all(isinstance(c.value, float) for c in rates)


@pytest.mark.django_db
def test_import_reads_xlsx_with_numbers_as_numbers(tmp_path):
    book = Workbook()
    for row in notice_rows():
        book.active.append([int(c) if c.isdigit() else c for c in row])
    book.save(tmp_path / "t.xlsx")
    run("import", str(tmp_path / "t.xlsx"))
    assert Target.objects.get(unit__name="湖塘镇", year=2021).imported_completed == 3829
    assert Target.objects.get(unit__name="经开区", year=2022).target == 25000


@pytest.mark.django_db
def test_t2_t3_import_stores_targets_and_imported_completed(tmp_path):
    run("import", str(write_csv(tmp_path / "t.csv", notice_rows())))
    assert Unit.objects.filter(kind="organizing").count() == 29
    others = Target.objects.get(unit__name="其他", year=2021)
    assert others.target is None and others.imported_completed == 10538
    assert AuditEvent.objects.filter(action="targets.import").count() == 1


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "t.csv", notice_rows())
    run("import", str(path))
    before = list(Target.objects.order_by("pk").values())
    run("import", str(path))
    assert list(Target.objects.order_by("pk").values()) == before
    assert Unit.objects.filter(kind="organizing").count() == 29


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, words",
    [
        (lambda rows: rows[0].append("备注栏"), ["备注栏"]),
        (lambda rows: rows[5].__setitem__(5, "12OO"), ["第 6 行", "12OO"]),
        (lambda rows: rows.insert(4, ["99", "高新区", "1", "1", "", "1"]), ["第 5 行", "高新区"]),
    ],
)
def test_bad_input_exits_2_names_the_row_and_imports_nothing(tmp_path, change, words):
    rows = notice_rows()
    change(rows)
    stderr = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(
            "targets",
            "import",
            str(write_csv(tmp_path / "bad.csv", rows)),
            stdout=io.StringIO(),
            stderr=stderr,
        )
    assert error.value.returncode == 2
    for word in words:
        assert word in stderr.getvalue()
    assert not Target.objects.exists()
    assert not Unit.objects.filter(kind="organizing").exists()


@pytest.mark.django_db
def test_gbk_csv_is_read(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("\n".join(",".join(r) for r in notice_rows()).encode("gbk"))
    run("import", str(path))
    assert Target.objects.get(unit__name="淹管会", year=2022).target == 250


@pytest.mark.django_db
def test_missing_file_and_unknown_year_exit_2(tmp_path):
    with pytest.raises(CommandError) as error:
        run("import", str(tmp_path / "nope.csv"))
    assert error.value.returncode == 2
    with pytest.raises(CommandError) as error:
        run("report", "--year", "1999")
    assert error.value.returncode == 2
