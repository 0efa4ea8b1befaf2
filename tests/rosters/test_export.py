"""The roster written in the notice's layout (SPEC X8), masked or encrypted (S2), audited
(S3)."""

import copy
import datetime
import hashlib
import io

import openpyxl
import pytest

from huzhu.audit.models import AuditEvent
from huzhu.members import crypto
from huzhu.policy.models import PolicyVersion
from huzhu.rosters import export
from huzhu.rosters.export import HEADER, ExportError, export_roster
from huzhu.tabular import OLE_MAGIC, PasswordError, read_rows
from tests.rosters.output import enrolled_roster

PASSWORD = "roster-pass-2022"


@pytest.fixture
def roster(tree, people):
    return enrolled_roster(tree, people)


def data_rows(rows):
    return rows[3:-1]


@pytest.mark.django_db
def test_x8_the_notice_layout_title_stamp_row_header_rows_and_note(tree, people, roster):
    result = export_roster(actor=people.hutang_admin, unit=tree.hutang, year=2022, password=None)
    rows = read_rows(result.content, result.filename)
    assert rows[0][0] == "2022年武进区在职职工医疗互助保障参保职工汇总表"
    assert rows[1][0].startswith("申请单位工会：湖塘镇（盖章）")
    assert rows[1][0].endswith("年    月    日")
    assert tuple(rows[2]) == HEADER
    assert rows[-1][0] == "注：个人缴费金额30元/人/年"
    # 湖塘镇's two enrolled members; 李四 is 牛塘镇's and 赵六 revoked his authorization.
    assert [(r[0], r[1], r[2]) for r in data_rows(rows)] == [
        ("1", "湖塘镇", "张三"),
        ("2", "湖塘镇", "王五"),
    ]
    assert result.count == 2 and not result.encrypted


@pytest.mark.django_db
def test_x8_s2_without_a_password_numbers_are_masked(tree, people, roster):
    result = export_roster(actor=people.hutang_admin, unit=tree.hutang, year=2022, password=None)
    first = data_rows(read_rows(result.content, result.filename))[0]
    member = people.member
    assert first[3] == member.id_number_masked and "*" in first[3]
    assert first[4] == "138****5678"
    assert first[6] == member.union_card_masked
    assert first[5] == "湖塘镇甲公司" and first[7] == "是"
    rows = read_rows(result.content, result.filename)
    clear = {
        crypto.decrypt(member.id_number_encrypted),
        crypto.decrypt(member.phone_encrypted),
        crypto.decrypt(member.union_card_encrypted),
    }
    assert not clear & {cell for row in rows for cell in row}


@pytest.mark.django_db
def test_x8_s2_with_a_password_the_file_is_encrypted_and_holds_full_numbers(tree, people, roster):
    result = export_roster(
        actor=people.hutang_admin, unit=tree.hutang_union, year=2022, password=PASSWORD
    )
    assert result.encrypted and result.content.startswith(OLE_MAGIC)
    rows = read_rows(result.content, result.filename, password=PASSWORD)
    member = people.member
    assert data_rows(rows) == [
        [
            "1",
            "湖塘镇",
            "张三",
            crypto.decrypt(member.id_number_encrypted),
            "13812345678",
            "湖塘镇甲公司",
            "6231660000000000001",
            "是",
        ]
    ]
    with pytest.raises(PasswordError):
        read_rows(result.content, result.filename, password="not-the-password")
    with pytest.raises(PasswordError):
        read_rows(result.content, result.filename)


@pytest.mark.django_db
def test_x8_the_exported_file_reads_back_row_for_row(tree, people, roster):
    """Round trip through the project's reader: the header the roster import looks for,
    the same cells as the database holds."""
    result = export_roster(actor=None, unit=tree.district, year=2022, password=PASSWORD)
    rows = read_rows(result.content, result.filename, password=PASSWORD)
    expected = set()
    for enrollment in roster:
        member = enrollment.member
        expected.add(
            (
                enrollment.organizing_unit.name,
                member.name,
                crypto.decrypt(member.id_number_encrypted),
                crypto.decrypt(member.phone_encrypted),
                enrollment.employer_name,
                crypto.decrypt(member.union_card_encrypted),
                "是",
            )
        )
    assert {tuple(r[1:]) for r in data_rows(rows)} == expected
    assert [r[0] for r in data_rows(rows)] == ["1", "2", "3"]


@pytest.mark.django_db
def test_x8_formula_looking_cells_and_numbers_stay_text(tree, people, roster):
    result = export_roster(actor=None, unit=tree.hutang, year=2022, password=None)
    sheet = openpyxl.load_workbook(io.BytesIO(result.content)).active
    employer = sheet.cell(row=5, column=6)
    assert employer.value == '=HYPERLINK("http://x.example","点我")'
    assert employer.data_type == "s" and employer.quotePrefix
    for column in (4, 5, 7):  # ID, phone, card: text cells, never numbers
        assert sheet.cell(row=4, column=column).data_type == "s"
    full = export_roster(actor=None, unit=tree.hutang, year=2022, password=PASSWORD)
    rows = read_rows(full.content, full.filename, password=PASSWORD)
    assert data_rows(rows)[0][3] == crypto.decrypt(people.member.id_number_encrypted)


@pytest.mark.django_db
def test_x8_the_note_follows_the_years_policy(tree, people, roster):
    latest = PolicyVersion.objects.filter(year=2022).latest("version")
    # A hash of its own: parsed policies are cached per (id, hash), and ids come again
    # after a rolled-back test.
    PolicyVersion.objects.create(
        year=2022,
        version=latest.version + 1,
        document={**copy.deepcopy(latest.document), "fee": "35.00"},
        sha256=hashlib.sha256(b"2022 fee 35.00 roster note").hexdigest(),
        source_name=latest.source_name,
    )
    result = export_roster(actor=None, unit=tree.hutang, year=2022, password=None)
    assert read_rows(result.content, result.filename)[-1][0] == "注：个人缴费金额35元/人/年"


@pytest.mark.django_db
def test_x8_named_after_the_unit_and_the_shanghai_date(tree, people, roster, monkeypatch):
    monkeypatch.setattr(export, "scheme_today", lambda: datetime.date(2021, 11, 24))
    result = export_roster(actor=None, unit=tree.hutang_union, year=2022, password=None)
    assert result.filename == "湖塘镇甲公司工会1124.xlsx"
    assert export.export_filename(tree.hutang_union, datetime.date(2022, 1, 5)).endswith(
        "0105.xlsx"
    )


@pytest.mark.django_db
def test_x8_the_enrollments_units_as_of_signing(tree, people, roster):
    from huzhu.members.services import move_member

    move_member(actor=people.district_admin, member=people.member, unit=tree.hutang_union_b)
    result = export_roster(actor=None, unit=tree.hutang_union, year=2022, password=None)
    assert [r[2] for r in data_rows(read_rows(result.content, result.filename))] == ["张三"]


@pytest.mark.django_db
def test_x8_nothing_to_export_and_short_passwords_are_refused(tree, people, roster):
    with pytest.raises(ExportError, match="没有2021年的参保职工"):
        export_roster(actor=None, unit=tree.hutang, year=2021, password=None)
    with pytest.raises(ExportError, match="密码至少需要8个字符"):
        export_roster(actor=None, unit=tree.hutang, year=2022, password="short")
    assert not AuditEvent.objects.filter(action="roster.export").exists()


@pytest.mark.django_db
def test_s3_every_export_is_audited_without_the_password(tree, people, roster):
    export_roster(actor=people.hutang_admin, unit=tree.hutang, year=2022, password=None)
    export_roster(actor=people.hutang_admin, unit=tree.hutang, year=2022, password=PASSWORD)
    events = list(AuditEvent.objects.filter(action="roster.export").order_by("pk"))
    assert [(e.actor_user, e.unit_path, e.data["year"], e.data["count"]) for e in events] == [
        (people.hutang_admin, tree.hutang.path, 2022, 2),
        (people.hutang_admin, tree.hutang.path, 2022, 2),
    ]
    assert [e.data["encrypted"] for e in events] == [False, True]
    assert all(PASSWORD not in f"{e.summary} {e.data}" for e in events)
