"""Deduction feedback (SPEC D8): the failures each unit sees, why, and what happens next;
the workbook; the member's portal; the failure SMS (C5), in scope (S1) and masked (S2)."""

import io
import logging
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from huzhu.accounts.roles import Role
from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.jobs import kinds
from huzhu.jobs.models import Job, JobStatus
from huzhu.jobs.services import run_job, start_job
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.members.sms import OutboxSender
from huzhu.payments import feedback
from huzhu.payments.feedback import FOLLOW_UP, IN_BATCH, RETRY, notify_failures
from huzhu.payments.models import DeductionItem
from huzhu.payments.services import apply_result, create_batch
from huzhu.portal.views import SESSION_KEY
from tests.conftest import make_user, sign_in
from tests.payments.helpers import result_file, signed

pytestmark = pytest.mark.django_db

POOR = ("1001", "余额不足")
NO_CARD = ("1004", "卡号不存在")


@pytest.fixture
def finance_user(tree):
    return make_user("finance", Role.FINANCE, tree.district, second_factor=True)


def run_batch(failures):
    """One batch of every deductible enrollment, answered with `failures` (enrollment →
    (code, message)); the rest are debited."""
    batch = create_batch(year=2022, actor=None)
    assert batch is not None
    apply_result(content=result_file(batch, {e.pk: why for e, why in failures.items()}), actor=None)
    return batch


def without_card(enrollment):
    Member.objects.filter(pk=enrollment.member_id).update(
        union_card_encrypted="", union_card_hash=None, union_card_masked=""
    )


def without_phone(enrollment):
    Member.objects.filter(pk=enrollment.member_id).update(
        phone_encrypted="", phone_hash="", phone_masked=""
    )


def only_codes_retried(monkeypatch, codes):
    """The 2022 policy with `payment.retry_codes` set (both readers see the same)."""
    from huzhu.payments import feedback as feedback_module
    from huzhu.payments import services
    from huzhu.policy.selectors import current_policies

    policies = current_policies()
    policies[2022] = replace(policies[2022], retry_codes=codes)
    monkeypatch.setattr(services, "current_policies", lambda: policies)
    monkeypatch.setattr(feedback_module, "current_policies", lambda: policies)


def rows_by_name(user, **kwargs):
    page = feedback.feedback_page(user=user, year=2022, **kwargs)
    return {row.name: row for row in page.rows}


def test_d8_failures_carry_the_banks_reason_and_the_next_step_of_the_batch_rule(
    tree, people, monkeypatch
):
    only_codes_retried(monkeypatch, ("1001",))
    poor = signed(tree.hutang_union, "张甲")
    closed = signed(tree.hutang_union_b, "李乙")
    fine = signed(tree.hutang_union, "王丙")
    run_batch({poor: POOR, closed: NO_CARD})

    rows = rows_by_name(people.hutang_admin)

    assert set(rows) == {"张甲", "李乙"}  # the debited one is not feedback
    assert fine.pk not in {r.enrollment_id for r in rows.values()}
    assert rows["张甲"].failure.step == RETRY
    assert rows["张甲"].failure.reason == "余额不足"
    assert rows["张甲"].failure.bank_code == "1001"
    assert rows["张甲"].failure.attempts == 1
    assert rows["张甲"].failure.next_label == "下次批量扣款重试"
    assert rows["李乙"].failure.step == FOLLOW_UP
    assert rows["李乙"].failure.next_label == "需人工跟进"
    assert "1004" in rows["李乙"].failure.why
    assert rows["李乙"].grassroots_union == "湖塘镇乙公司工会"
    # S2: masked numbers only.
    assert "*" in rows["张甲"].id_masked and "*" in rows["张甲"].card_masked
    # The same judgement as the batch builder: the next batch takes exactly the retried one.
    again = create_batch(year=2022, actor=None)
    assert again is not None
    assert list(again.items.values_list("enrollment", flat=True)) == [poor.pk]
    assert rows_by_name(people.hutang_admin)["张甲"].failure.step == IN_BATCH


def test_d8_d6_attempts_used_up_go_to_follow_up(tree, people):
    poor = signed(tree.hutang_union, "张甲")
    for _attempt in (1, 2, 3):  # 2022: max_attempts = 3
        run_batch({poor: POOR})
    row = rows_by_name(people.hutang_admin)["张甲"]
    assert row.failure.attempts == 3
    assert row.failure.step == FOLLOW_UP
    assert "3" in row.failure.why
    assert create_batch(year=2022, actor=None) is None


def test_d8_authorized_members_without_a_union_card_are_listed_as_never_deductible(tree, people):
    lacking = signed(tree.hutang_union, "赵丁")
    without_card(lacking)
    signed(tree.hutang_union, "钱戊")  # has a card: not feedback

    rows = rows_by_name(people.hutang_admin)

    assert set(rows) == {"赵丁"}
    assert rows["赵丁"].failure.reason == "未登记工会卡号，无法扣款"
    assert rows["赵丁"].failure.step == FOLLOW_UP
    assert set(rows_by_name(people.hutang_admin, kind="no_card")) == {"赵丁"}
    assert rows_by_name(people.hutang_admin, kind=RETRY) == {}
    batch = create_batch(year=2022, actor=None)
    assert batch is not None
    assert lacking.pk not in set(batch.items.values_list("enrollment", flat=True))


def test_d8_counts_per_grassroots_union(tree, people, monkeypatch):
    only_codes_retried(monkeypatch, ("1001",))
    a1 = signed(tree.hutang_union, "张甲")
    a2 = signed(tree.hutang_union, "李乙")
    b1 = signed(tree.hutang_union_b, "王丙")
    n1 = signed(tree.niutang_union, "赵丁")
    lacking = signed(tree.hutang_union_b, "钱戊")
    without_card(lacking)
    run_batch({a1: POOR, a2: NO_CARD, b1: POOR, n1: POOR})

    counts = {c.union: c for c in feedback.union_counts(user=people.hutang_admin, year=2022)}

    assert set(counts) == {"湖塘镇甲公司工会", "湖塘镇乙公司工会"}  # S1: not 牛塘镇
    first, second = counts["湖塘镇甲公司工会"], counts["湖塘镇乙公司工会"]
    assert (first.failed, first.retried, first.follow_up, first.no_card) == (2, 1, 1, 0)
    assert (second.failed, second.retried, second.follow_up, second.no_card) == (1, 1, 1, 1)
    everyone = feedback.union_counts(user=people.district_admin, year=2022)
    assert sum(c.failed for c in everyone) == 4


def test_d8_s1_another_organizing_units_admin_sees_none_of_it(client, tree, people):
    hutang = signed(tree.hutang_union, "张甲")
    niutang = signed(tree.niutang_union, "赵丁")
    run_batch({hutang: POOR, niutang: POOR})

    assert set(rows_by_name(people.niutang_admin)) == {"赵丁"}
    assert set(rows_by_name(people.hutang_clerk)) == {"张甲"}
    assert set(rows_by_name(people.district_admin)) == {"张甲", "赵丁"}
    sign_in(client, people.niutang_admin)
    url = reverse("console:deduction_feedback")
    html = client.get(url, {"year": 2022}).content.decode()
    assert "赵丁" in html and "张甲" not in html and "湖塘镇甲公司工会" not in html
    # Another unit named in the filter is answered as missing, the download too.
    assert client.get(url, {"year": 2022, "unit": tree.hutang_union.pk}).status_code == 404
    download = reverse("console:deduction_feedback_download")
    assert client.get(download, {"unit": tree.hutang.pk}).status_code == 404
    book = load_workbook(io.BytesIO(client.get(download, {"year": 2022}).content))
    cells = {c.value for sheet in book for row in sheet.iter_rows() for c in row}
    assert "赵丁" in cells and "张甲" not in cells


def test_d8_the_page_shows_reason_and_next_step_per_union(client, tree, people):
    poor = signed(tree.hutang_union, "张甲")
    run_batch({poor: POOR})
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:deduction_feedback"), {"year": 2022})
    html = response.content.decode()
    assert response.status_code == 200
    assert "扣款反馈" in html and "余额不足" in html and "下次批量扣款重试" in html
    assert "湖塘镇甲公司工会" in html
    assert poor.member.id_number_masked in html
    assert crypto.decrypt(poor.member.id_number_encrypted) not in html  # S2
    assert crypto.decrypt(poor.member.union_card_encrypted) not in html
    # Linked from the console's menu and the organizing unit's dashboard.
    assert 'id="nav-deduction-feedback"' in html
    dashboard = client.get(reverse("console:dashboard")).content.decode()
    assert 'id="feedback-link"' in dashboard


def test_d8_bad_filters_fall_back_without_an_error(client, tree, people):
    sign_in(client, people.hutang_admin)
    url = reverse("console:deduction_feedback")
    for query in ({"year": "x"}, {"kind": "<b>"}, {"after": "99999999999"}, {"after": "-1"}):
        assert client.get(url, query).status_code == 200
    assert client.get(url, {"unit": "abc"}).status_code == 404


def test_d8_the_page_reads_a_constant_number_of_queries_and_pages_by_keyset(client, tree, people):
    failures = {signed(tree.hutang_union, f"张{c}甲"): POOR for c in "一二三"}
    run_batch(failures)
    sign_in(client, people.hutang_admin)
    url = reverse("console:deduction_feedback")
    client.get(url, {"year": 2022})  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"year": 2022})
    more = {signed(tree.hutang_union_b, f"李{c}甲"): POOR for c in "一二三四五六七八九十"}
    run_batch(more)
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"year": 2022})
    assert len(many) == len(few)
    monkey_rows = list(feedback.feedback_listing(user=people.hutang_admin, year=2022))
    cursor = monkey_rows[5].pk
    with CaptureQueriesContext(connection) as later:
        response = client.get(url, {"year": 2022, "after": cursor})
    assert len(later) == len(few) + 1  # the cursor's row
    html = response.content.decode()
    assert f'id="feedback-{monkey_rows[6].pk}"' in html
    assert f'id="feedback-{monkey_rows[5].pk}"' not in html


def test_d8_pages_hold_at_most_a_page_and_chain_to_the_end(tree, people, monkeypatch):
    monkeypatch.setattr(feedback, "PAGE_SIZE", 2)
    run_batch({signed(tree.hutang_union, f"王{c}丙"): POOR for c in "一二三四五"})
    seen, after = [], None
    while True:
        page = feedback.feedback_page(user=people.hutang_admin, year=2022, after=after)
        assert len(page.rows) <= 2
        seen.extend(r.name for r in page.rows)
        if page.next_after is None:
            break
        after = page.next_after
    assert len(seen) == 5 and len(set(seen)) == 5


def test_d8_s2_s3_the_workbook_one_sheet_per_organizing_unit_masked_text_and_audited(
    client, tree, people, finance_user
):
    poor = signed(tree.hutang_union, "张甲")
    odd = signed(tree.niutang_union, "赵丁")
    lacking = signed(tree.hutang_union_b, "钱戊")
    without_card(lacking)
    run_batch({poor: POOR, odd: ("9999", '=HYPERLINK("http://x")')})
    sign_in(client, finance_user)

    response = client.get(reverse("console:deduction_feedback_download"), {"year": 2022})

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["湖塘镇", "牛塘镇"]
    hutang = [[c.value for c in row] for row in book["湖塘镇"].iter_rows()]
    assert "2022" in hutang[0][0] and "湖塘镇" in hutang[0][0]
    assert hutang[1][:9] == [
        "序号",
        "基层工会",
        "姓名",
        "身份证号码",
        "手机号码",
        "工会卡号",
        "银行代码",
        "失败原因",
        "扣款次数",
    ]
    by_name = {row[2]: row for row in hutang[2:]}
    assert by_name["张甲"][1] == "湖塘镇甲公司工会"
    assert by_name["张甲"][3] == poor.member.id_number_masked
    assert by_name["张甲"][5] == poor.member.union_card_masked
    assert by_name["张甲"][6:10] == ["1001", "余额不足", "1", "下次批量扣款重试"]
    assert by_name["钱戊"][7] == "未登记工会卡号，无法扣款"
    assert by_name["钱戊"][9] == "需人工跟进"
    # Every cell is text; a bank message that looks like a formula stays text.
    cells = [c for row in book["牛塘镇"].iter_rows() for c in row]
    assert all(c.data_type in ("s", "n") and c.data_type != "f" for c in cells)
    formula_like = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert formula_like.data_type == "s" and formula_like.quotePrefix
    assert all(not isinstance(c.value, int | float) for c in cells)
    content = response.content.decode("latin-1")
    assert crypto.decrypt(poor.member.id_number_encrypted) not in content
    event = AuditEvent.objects.get(action=Action.DEDUCTION_FEEDBACK_EXPORT)
    assert event.actor_user == finance_user and event.data["rows"] == 3


def test_d8_an_empty_workbook_says_so(client, tree, people):
    sign_in(client, people.hutang_clerk)
    response = client.get(reverse("console:deduction_feedback_download"), {"year": 2022})
    book = load_workbook(io.BytesIO(response.content))
    values = [c.value for row in book.active.iter_rows() for c in row if c.value]
    assert "暂无扣款失败记录。" in values
    assert values[1:3] == ["序号", "基层工会"]


# --- the member's portal ----------------------------------------------------------------


def as_member(client, member):
    session = client.session
    session[SESSION_KEY] = [member.pk]
    session.save()
    return client


def test_d8_the_member_sees_the_failure_the_banks_reason_and_what_to_do(client, tree, people):
    poor = signed(tree.hutang_union, "张甲")
    run_batch({poor: POOR})
    html = as_member(client, poor.member).get(reverse("portal:enrollments")).content.decode()
    assert "扣款失败" in html and "余额不足" in html
    assert "下次扣款前" in html and "银行App" in html


def test_d8_a_follow_up_code_tells_the_member_to_contact_the_union(
    client, tree, people, monkeypatch
):
    only_codes_retried(monkeypatch, ("1001",))
    closed = signed(tree.hutang_union, "李乙")
    run_batch({closed: NO_CARD})
    html = as_member(client, closed.member).get(reverse("portal:enrollments")).content.decode()
    assert "扣款失败" in html and "卡号不存在" in html and "联系所在工会" in html


def test_d8_a_member_without_a_card_is_told_to_register_one(client, tree, people):
    lacking = signed(tree.hutang_union, "钱戊")
    without_card(lacking)
    html = as_member(client, lacking.member).get(reverse("portal:enrollments")).content.decode()
    assert "无法扣款" in html and "登记" in html


# --- the failure SMS (C5) ---------------------------------------------------------------


def test_d8_c5_each_failed_member_gets_one_sms_never_twice(tree, people, caplog):
    poor = signed(tree.hutang_union, "张甲")
    mute = signed(tree.hutang_union, "李乙")
    paid = signed(tree.hutang_union, "王丙")
    without_phone(mute)
    batch = run_batch({poor: POOR, mute: POOR})
    phone = crypto.decrypt(poor.member.phone_encrypted)

    with caplog.at_level(logging.DEBUG):
        first = notify_failures(batch)
    second = notify_failures(batch)

    assert (first.sent, first.no_phone, first.send_failed) == (1, 1, 0)
    assert second.sent == 0 and second.no_phone == 1
    assert len(OutboxSender.outbox) == 1
    to, text = OutboxSender.outbox[0]
    assert to == phone
    assert "扣款失败" in text and "余额不足" in text and "2022" in text and "张甲" in text
    assert phone not in caplog.text
    assert DeductionItem.objects.get(enrollment=poor).notified_at is not None
    assert DeductionItem.objects.get(enrollment=mute).notified_at is None
    assert DeductionItem.objects.get(enrollment=paid).notified_at is None
    assert AuditEvent.objects.filter(action=Action.DEDUCTION_FAILURE_NOTICES).exists()


def test_d8_c5_a_failed_send_is_logged_masked_and_not_repeated(tree, people, caplog, settings):
    poor = signed(tree.hutang_union, "张甲")
    batch = run_batch({poor: POOR})
    settings.HUZHU_SMS_SENDER = "tests.payments.test_feedback.BrokenSender"
    phone = crypto.decrypt(poor.member.phone_encrypted)
    with caplog.at_level(logging.INFO):
        notified = notify_failures(batch)
    assert notified.send_failed == 1 and notified.sent == 0
    assert phone not in caplog.text and "137****" in caplog.text
    settings.HUZHU_SMS_SENDER = "huzhu.members.sms.OutboxSender"
    assert notify_failures(batch).sent == 0


class BrokenSender:
    def send(self, phone, text):
        raise ConnectionError("gateway down")


def test_d8_c5_an_old_batchs_failure_is_not_told_once_a_later_batch_took_it(tree, people):
    poor = signed(tree.hutang_union, "张甲")
    first = run_batch({poor: POOR})
    run_batch({})  # the retry is debited
    assert notify_failures(first).sent == 0
    assert OutboxSender.outbox == []


def test_d8_c5_the_apply_command_texts_the_failed_members(tree, people, tmp_path):
    poor = signed(tree.hutang_union, "张甲")
    batch = create_batch(year=2022, actor=None)
    assert batch is not None
    path = tmp_path / "result.txt"
    path.write_bytes(result_file(batch, {poor.pk: POOR}))
    out = io.StringIO()
    call_command("deduction", "apply", str(path), stdout=out)
    call_command("deduction", "apply", str(path), stdout=io.StringIO())
    assert len(OutboxSender.outbox) == 1
    assert "短信" in out.getvalue()


def test_d8_c5_the_notice_job_texts_every_batchs_untold_failures_once(tree, people, finance_user):
    poor = signed(tree.hutang_union, "张甲")
    run_batch({poor: POOR})
    job = start_job(actor=finance_user, kind=kinds.PAYMENTS_NOTIFY_FAILURES)
    run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert "1" in job.outcome and len(OutboxSender.outbox) == 1
    again = start_job(actor=finance_user, kind=kinds.PAYMENTS_NOTIFY_FAILURES)
    run_job(job_id=again.pk)
    assert len(OutboxSender.outbox) == 1


def test_d8_finance_starts_the_notice_job_from_the_feedback_page(client, tree, finance_user):
    sign_in(client, finance_user)
    response = client.post(reverse("console:deduction_failure_notices"))
    job = Job.objects.get(kind=kinds.PAYMENTS_NOTIFY_FAILURES)
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{job.pk}/")
    again = client.post(reverse("console:deduction_failure_notices"))
    assert again["Location"] == response["Location"]
    assert Job.objects.filter(kind=kinds.PAYMENTS_NOTIFY_FAILURES).count() == 1


def test_d8_s2_a_full_number_in_the_banks_message_is_masked_everywhere_it_is_shown(tree, people):
    """SPEC D8, S2: the bank's message is free text shown on the feedback list, its
    workbook, the batch page, the portal and in the SMS. A bank writing the card or ID
    number into it ("卡号…不存在") put full numbers in front of a town's admin and into a
    text message; long digit runs are masked when the result file is read."""
    enrollment = signed(tree.hutang_union, "张甲")
    member = enrollment.member
    card = crypto.decrypt(member.union_card_encrypted)
    id_number = crypto.decrypt(member.id_number_encrypted)
    batch = run_batch({enrollment: ("1004", f"卡号{card}不存在，证件{id_number}")})
    notify_failures(batch)

    stored = DeductionItem.objects.get(enrollment=enrollment).bank_message
    (row,) = rows_by_name(people.hutang_admin).values()
    _to, text = OutboxSender.outbox[0]
    for shown in (stored, text, str(row.__dict__)):
        assert card not in shown and id_number not in shown
    assert stored.startswith("卡号" + card[:4]) and card[-4:] in stored
