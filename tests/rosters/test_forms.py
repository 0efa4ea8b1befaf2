"""The authorization form (付款授权书, SPEC X9): one pre-filled A4 page per member, the
scheme's parties from data, full numbers on paper and therefore audited (S2, S3)."""

import io
from pathlib import Path

import pypdf
import pytest

from huzhu.audit.models import AuditEvent
from huzhu.members import crypto
from huzhu.rosters import forms_pdf
from huzhu.rosters.export import ExportError
from huzhu.rosters.forms_pdf import (
    BUILT_IN_FONT,
    FORM_TEXT,
    FormEntry,
    load_form_text,
    member_form,
    render_forms,
    unit_forms,
)
from tests.rosters.output import enrolled_roster

ENTRY = FormEntry(
    name="张三",
    id_number="320412198506150011",
    union_card="6231660000000000001",
    phone="13812345678",
    employer="湖塘镇甲公司",
    union="湖塘镇甲公司工会",
)


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


@pytest.mark.django_db
def test_x9_one_page_per_member_on_the_units_roster(tree, people):
    enrolled_roster(tree, people)
    content, pages = unit_forms(actor=people.hutang_admin, unit=tree.hutang, year=2022)
    texts = pages_text(content)
    assert pages == len(texts) == 2  # 张三 and 王五; 李四 is 牛塘镇's, 赵六 revoked
    assert "张三" in texts[0] and "王五" in texts[1]
    # Full numbers on paper: the member signs the form and hands it in.
    assert crypto.decrypt(people.member.id_number_encrypted) in texts[0]
    assert "13812345678" in texts[0] and "6231660000000000001" in texts[0]
    assert "湖塘镇甲公司工会" in texts[0] and "身份证" in texts[0]
    assert "参保年度：2022年" in texts[0]


@pytest.mark.django_db
def test_x9_s3_printing_is_audited_like_a_full_view(tree, people):
    enrolled_roster(tree, people)
    unit_forms(actor=people.hutang_admin, unit=tree.hutang, year=2022)
    member_form(actor=people.hutang_clerk, member=people.member, year=2022)
    events = list(AuditEvent.objects.filter(action="roster.forms").order_by("pk"))
    assert [(e.actor_user, e.data["count"]) for e in events] == [
        (people.hutang_admin, 2),
        (people.hutang_clerk, 1),
    ]
    assert events[0].unit_path == tree.hutang.path
    assert events[1].object_id == str(people.member.pk)
    assert events[1].unit_path == people.member.unit_path


@pytest.mark.django_db
def test_x9_a_unit_without_enrollments_in_the_year_is_refused(tree, people):
    with pytest.raises(ExportError, match="湖塘镇没有2022年的参保职工"):
        unit_forms(actor=None, unit=tree.hutang, year=2022)
    assert not AuditEvent.objects.filter(action="roster.forms").exists()


def test_x9_payee_bank_and_clauses_come_from_the_data_file(tmp_path):
    shipped = pages_text(render_forms([ENTRY], year=2022)[0])[0]
    for text in ("常州市武进区工惠职工互助保障中心", "1032200000018099", "0519-86311234"):
        assert text in shipped
    assert "江苏江南农村商业银行股份有限公司武进支行" in shipped
    assert "本授权书自甲方签字确认之日起生效" in shipped
    changed = tmp_path / "form.toml"
    changed.write_text(
        FORM_TEXT.read_text(encoding="utf-8")
        .replace("1032200000018099", "6200000000000000001")
        .replace("常州市武进区工惠职工互助保障中心", "常州市武进区测试收款中心"),
        encoding="utf-8",
    )
    text = pages_text(render_forms([ENTRY], year=2022, text=load_form_text(changed))[0])[0]
    assert "6200000000000000001" in text and "常州市武进区测试收款中心" in text
    assert "1032200000018099" not in text


def test_x9_the_system_cjk_font_is_embedded_when_there_is_one():
    content, _pages = render_forms([ENTRY], year=2022)
    font = forms_pdf.font_name()
    if font == BUILT_IN_FONT:
        pytest.skip("no TrueType CJK font on this machine")
    assert b"/FontFile2" in content  # the subset travels with the file


def test_x9_without_a_system_font_the_built_in_song_face_is_used(monkeypatch):
    assert forms_pdf.font_name(files=("/nonexistent/font.ttc",)) == BUILT_IN_FONT
    monkeypatch.setattr(forms_pdf, "font_name", lambda: BUILT_IN_FONT)
    content, pages = render_forms([ENTRY, ENTRY], year=2022)
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert pages == len(reader.pages) == 2
    assert b"STSong-Light" in content


def test_x9_a_long_employer_name_is_shrunk_to_fit_not_cut():
    long = FormEntry(**{**ENTRY.__dict__, "employer": "常州市武进区" + "某某" * 30 + "有限公司"})
    text = pages_text(render_forms([long], year=2022)[0])[0]
    assert "有限公司" in text


def test_x9_the_data_file_ships_with_the_package():
    assert Path(FORM_TEXT).is_file()
    form = load_form_text()
    assert form.payee.name == "常州市武进区工惠职工互助保障中心"
    assert len(form.clauses) == 11
