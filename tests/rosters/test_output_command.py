"""`huzhu roster export` and `huzhu roster forms` (SPEC X8, X9): files written, exit 2 with a
Chinese message for bad input."""

import datetime
import io

import pypdf
import pytest
from django.core.management import CommandError, call_command

from huzhu.audit.models import AuditEvent
from huzhu.members import crypto
from huzhu.rosters import export
from huzhu.tabular import PasswordError, read_rows
from tests.rosters.output import enrolled_roster

PASSWORD = "roster-pass-2022"


@pytest.fixture
def roster(tree, people, monkeypatch):
    monkeypatch.setattr(export, "scheme_today", lambda: datetime.date(2021, 11, 24))
    return enrolled_roster(tree, people)


def run(*args) -> str:
    out = io.StringIO()
    call_command("roster", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    return str(caught.value)


@pytest.mark.django_db
def test_x8_export_writes_the_masked_roster_named_unit_month_day(roster, tmp_path):
    out = run("export", "--year", "2022", "--unit", "湖塘镇", "--out", str(tmp_path))
    path = tmp_path / "湖塘镇1124.xlsx"
    assert "2行" in out and "号码已打码" in out and str(path) in out
    rows = read_rows(path.read_bytes(), path.name)
    assert [r[2] for r in rows[3:-1]] == ["张三", "王五"]
    assert "*" in rows[3][3]


@pytest.mark.django_db
def test_x8_export_with_a_password_is_encrypted(roster, people, tmp_path):
    out = run(
        "export",
        "--year",
        "2022",
        "--unit",
        "湖塘镇",
        "--password",
        PASSWORD,
        "--out",
        str(tmp_path),
    )
    assert "已用密码加密" in out
    content = (tmp_path / "湖塘镇1124.xlsx").read_bytes()
    with pytest.raises(PasswordError):
        read_rows(content, "x.xlsx")
    rows = read_rows(content, "x.xlsx", password=PASSWORD)
    assert rows[3][3] == crypto.decrypt(people.member.id_number_encrypted)
    event = AuditEvent.objects.get(action="roster.export")
    assert event.data["encrypted"] is True and event.actor_label == "system"


@pytest.mark.django_db
def test_x8_export_asks_for_the_password_when_given_without_one(roster, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    run("export", "--year", "2022", "--unit", "湖塘镇", "--password", "--out", str(tmp_path))
    content = (tmp_path / "湖塘镇1124.xlsx").read_bytes()
    assert read_rows(content, "x.xlsx", password=PASSWORD)[3][2] == "张三"


@pytest.mark.django_db
def test_x8_export_refusals_exit_2_in_chinese(roster, tmp_path):
    assert "没有名为不存在的工会的单位" in refused(
        "export", "--year", "2022", "--unit", "不存在的工会", "--out", str(tmp_path)
    )
    assert "湖塘镇没有2021年的参保职工" in refused(
        "export", "--year", "2021", "--unit", "湖塘镇", "--out", str(tmp_path)
    )
    assert "密码至少需要8个字符" in refused(
        "export", "--year", "2022", "--unit", "湖塘镇", "--password", "short"
    )
    assert "--year" in refused("export", "--year", "二〇二二", "--unit", "湖塘镇")
    assert "文件或文件夹不存在" in refused(
        "export", "--year", "2022", "--unit", "湖塘镇", "--out", str(tmp_path / "missing")
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_x9_forms_for_a_unit_and_for_one_member(roster, people, tmp_path):
    target = tmp_path / "forms.pdf"
    out = run("forms", "--year", "2022", "--unit", "湖塘镇", "--out", str(target))
    assert "2份付款授权书" in out
    assert len(pypdf.PdfReader(target).pages) == 2
    single = tmp_path / "one.pdf"
    clear = crypto.decrypt(people.member.id_number_encrypted)
    run("forms", "--year", "2022", "--member", clear, "--out", str(single))
    text = pypdf.PdfReader(single).pages[0].extract_text()
    assert "张三" in text and clear in text


@pytest.mark.django_db
def test_x9_forms_refusals_exit_2_in_chinese(roster, tmp_path):
    assert "湖塘镇乙公司工会没有2021年的参保职工" in refused(
        "forms", "--year", "2021", "--unit", "湖塘镇乙公司工会", "--out", str(tmp_path / "f.pdf")
    )
    assert "没有登记这个身份证号码的职工" in refused(
        "forms", "--year", "2022", "--member", "11010519491231002X"
    )
    assert refused("forms", "--year", "2022", "--member", "123").startswith("--member：")
