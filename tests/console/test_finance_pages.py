"""The finance pages (SPEC D3–D7, S1–S3, §12 Finance): batches built and applied through the
console and its background jobs, the request file as an audited full view, refunds."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from huzhu.accounts.roles import Role
from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.bank.simulated_bank import answer_deduction_file
from huzhu.enrollment.models import State
from huzhu.jobs import kinds
from huzhu.jobs.models import Job, JobStatus
from huzhu.jobs.services import run_job
from huzhu.members import crypto
from huzhu.members.sms import OutboxSender
from huzhu.payments.bankfile import ENCODING
from huzhu.payments.models import (
    BatchState,
    DeductionBatch,
    DeductionItem,
    DeductionJob,
    Outcome,
    Refund,
    RefundSource,
)
from huzhu.payments.services import create_batch, request_content
from tests.conftest import make_user, sign_in
from tests.payments.helpers import result_file, signed

pytestmark = pytest.mark.django_db

BATCHES = "/console/finance/batches/"


@pytest.fixture
def finance(tree):
    return make_user("finance", Role.FINANCE, tree.district, second_factor=True)


@pytest.fixture
def as_finance(client, finance):
    return sign_in(client, finance)


def batch_url(batch) -> str:
    return reverse("console:finance_batch", kwargs={"batch_pk": batch.pk})


def card_of(enrollment) -> str:
    return crypto.decrypt(enrollment.member.union_card_encrypted)


def upload(client, batch, content: bytes, name="result.txt"):
    return client.post(batch_url(batch), {"file": SimpleUploadedFile(name, content)})


def job_of(response) -> Job:
    assert response.status_code == 302, response.content.decode()[:2000]
    pk = int(response["Location"].rstrip("/").rsplit("/", 1)[-1])
    return Job.objects.get(pk=pk)


def test_d3_finance_builds_a_batch_in_a_background_job(as_finance, tree, finance):
    first = signed(tree.hutang_union, "张甲")
    second = signed(tree.niutang_union, "李乙")

    response = as_finance.post(BATCHES, {"year": "2022"})

    job = job_of(response)
    assert job.kind == kinds.PAYMENTS_BUILD and job.started_by == finance
    assert DeductionBatch.objects.count() == 0  # nothing built until the worker runs it
    run_job(job_id=job.pk)
    job.refresh_from_db()
    batch = DeductionBatch.objects.get()
    assert job.status == JobStatus.SUCCEEDED
    assert f"已生成批次{batch.number}：共2笔，合计60.00元" in job.outcome
    assert set(batch.items.values_list("enrollment", flat=True)) == {first.pk, second.pk}
    assert DeductionJob.objects.get(job=job).batch == batch
    page = as_finance.get(reverse("console:job", args=[job.pk])).content.decode()
    assert batch_url(batch) in page and f"查看批次{batch.number}" in page


def test_d3_nothing_to_deduct_is_a_clear_message_not_an_error(as_finance, tree):
    paid = signed(tree.hutang_union)
    paid.state = State.PAID
    paid.save(update_fields=["state"])

    job = job_of(as_finance.post(BATCHES, {"year": "2022"}))
    run_job(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert "2022年度没有需要扣款的参保记录" in job.outcome and "未生成批次" in job.outcome
    assert DeductionBatch.objects.count() == 0
    page = as_finance.get(reverse("console:job", args=[job.pk])).content.decode()
    assert "查看扣款批次" in page and 'class="notice"' in page


def test_d3_a_double_click_builds_one_batch(as_finance, tree):
    signed(tree.hutang_union)

    first = job_of(as_finance.post(BATCHES, {"year": "2022"}))
    second = as_finance.post(BATCHES, {"year": "2022"}, follow=True)

    assert Job.objects.filter(kind=kinds.PAYMENTS_BUILD).count() == 1
    assert second.redirect_chain[-1][0] == reverse("console:job", args=[first.pk])
    assert "批次生成正在进行" in second.content.decode()
    run_job(job_id=first.pk)
    assert DeductionBatch.objects.count() == 1


def test_d3_two_people_building_at_once_take_each_enrollment_once(client, as_finance, people, tree):
    signed(tree.hutang_union)
    signed(tree.niutang_union, "李乙")
    mine = job_of(as_finance.post(BATCHES, {"year": "2022"}))
    theirs = job_of(sign_in(client, people.district_admin).post(BATCHES, {"year": "2022"}))

    run_job(job_id=mine.pk)
    run_job(job_id=theirs.pk)

    assert DeductionBatch.objects.count() == 1
    assert DeductionItem.objects.count() == 2
    theirs.refresh_from_db()
    assert theirs.status == JobStatus.SUCCEEDED and "没有需要扣款" in theirs.outcome


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("abc", "请输入2000至2100之间的年份"),
        ("1e400", "请输入2000至2100之间的年份"),
        ("9" * 40, "请输入2000至2100之间的年份"),
        ("1999", "请输入2000至2100之间的年份"),
        ("2101", "请输入2000至2100之间的年份"),
        ("２０２２", "请输入2000至2100之间的年份"),
        ("2090", "2090年度没有年度政策"),
        ("", "必须填写"),
    ],
)
def test_d3_a_bad_year_is_named_and_starts_nothing(as_finance, year, message):
    response = as_finance.post(BATCHES, {"year": year})

    assert response.status_code == 400
    html = response.content.decode()
    assert "保障年度：" in html and message in html
    assert Job.objects.count() == 0


def test_d3_the_list_shows_each_batch_and_its_figures_in_constant_queries(
    as_finance, tree, finance
):
    def settled_batch(year, failing=1):
        enrollments = [signed(tree.hutang_union, f"{name}某", year=year) for name in "甲乙丙"]
        batch = create_batch(year=year, actor=finance)
        failures = {e.pk: ("1001", "余额不足") for e in enrollments[:failing]}
        from huzhu.payments.services import apply_result

        apply_result(content=result_file(batch, failures), actor=finance)
        return batch

    first = settled_batch(2022)
    with CaptureQueriesContext(connection) as one:
        as_finance.get(BATCHES)
    settled_batch(2021)
    signed(tree.hutang_union, "未结")
    waiting = create_batch(year=2022, actor=finance)
    with CaptureQueriesContext(connection) as three:
        response = as_finance.get(BATCHES)

    assert len(three) == len(one)
    html = response.content.decode()
    assert first.number in html and waiting.number in html and "已回盘" in html
    assert "已送银行" in html
    row = html.split(first.number, 1)[1].split("</tr>", 1)[0]
    assert ">2<br>" in row and "60.00" in row and ">1<br>" in row and "30.00" in row
    only_2021 = as_finance.get(BATCHES, {"year": "2021"}).content.decode()
    assert first.number not in only_2021 and waiting.number not in only_2021
    assert as_finance.get(BATCHES, {"year": "1e400"}).status_code == 200


def _settled(client, tree, finance):
    """A 2022 batch of three, its result uploaded and applied: 李乙 failed for 余额不足."""
    ok = signed(tree.hutang_union, "张甲")
    failing = signed(tree.hutang_union_b, "李乙")
    signed(tree.niutang_union, "王丙")
    batch = create_batch(year=2022, actor=finance)
    content = answer_deduction_file(request_content(batch), failures={card_of(failing): "余额不足"})
    job = job_of(upload(client, batch, content))
    run_job(job_id=job.pk)
    return batch, ok, failing, content, job


def test_d5_an_uploaded_result_is_applied_in_the_background(as_finance, tree, finance):
    batch, ok, failing, _content, job = _settled(as_finance, tree, finance)

    job.refresh_from_db()
    assert job.kind == kinds.PAYMENTS_APPLY and job.status == JobStatus.SUCCEEDED
    assert "扣款成功2笔，失败1笔" in job.outcome
    # SPEC D8: the member whose deduction failed got one text message.
    assert "扣款失败短信：1 条" in job.outcome
    assert [phone for phone, _text in OutboxSender.outbox[-1:]] == [
        crypto.decrypt(failing.member.phone_encrypted)
    ]
    batch.refresh_from_db()
    assert batch.state == BatchState.SETTLED
    ok.refresh_from_db()
    failing.refresh_from_db()
    assert (ok.state, failing.state) == (State.PAID, State.FAILED)
    html = as_finance.get(batch_url(batch)).content.decode()
    assert 'id="figure-debited">2<' in html and 'id="figure-failed">1<' in html
    assert "余额不足" in html and "1001" in html
    assert 'id="upload-result"' not in html  # settled: nothing more to upload
    assert job.input_file.original_name in html  # the upload and its outcome are listed


def test_d5_s2_items_show_masked_numbers_the_bank_answer_and_the_attempt(as_finance, tree, finance):
    batch, _ok, failing, _content, _job = _settled(as_finance, tree, finance)

    html = as_finance.get(batch_url(batch), {"outcome": "failed"}).content.decode()

    member = failing.member
    assert member.name in html and member.id_number_masked in html
    assert member.union_card_masked in html
    assert crypto.decrypt(member.id_number_encrypted) not in html
    assert card_of(failing) not in html
    assert html.count('data-outcome="failed"') == 1 and 'data-outcome="debited"' not in html
    assert "湖塘镇乙公司工会" in html
    row = html.split('data-outcome="failed"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">1</td>' in row  # first attempt
    # An unknown outcome is no filter, not an error.
    assert as_finance.get(batch_url(batch), {"outcome": "<x>"}).status_code == 200


def test_d5_the_same_result_file_twice_says_it_was_already_applied(as_finance, tree, finance):
    batch, _ok, _failing, content, _job = _settled(as_finance, tree, finance)
    events = AuditEvent.objects.filter(action=Action.DEDUCTION_RESULT).count()

    response = upload(as_finance, batch, content, name="again.txt")

    assert response.status_code == 302 and response["Location"] == batch_url(batch)
    page = as_finance.get(response["Location"]).content.decode()
    assert f"该回盘文件已应用于批次{batch.number}，未作任何改动" in page
    assert Job.objects.filter(kind=kinds.PAYMENTS_APPLY).count() == 1
    assert AuditEvent.objects.filter(action=Action.DEDUCTION_RESULT).count() == events


def test_d5_a_tampered_result_is_refused_with_its_reason_and_changes_nothing(
    as_finance, tree, finance
):
    signed(tree.hutang_union)
    signed(tree.hutang_union, "李乙")
    batch = create_batch(year=2022, actor=finance)
    good = result_file(batch).decode(ENCODING)
    tampered = good.replace("|30.00|0000|", "|31.00|0000|", 1)
    head, *lines = tampered.splitlines()
    total = sum(Decimal(line.split("|")[4]) for line in lines)
    tampered = "\n".join([f"H|{batch.number}|2|{total:.2f}", *lines]) + "\n"

    job = job_of(upload(as_finance, batch, tampered.encode(ENCODING)))
    run_job(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.outcome.startswith("回盘文件被拒绝：") and "未作任何改动" in job.outcome
    batch.refresh_from_db()
    assert batch.state == BatchState.BUILT
    assert set(batch.items.values_list("outcome", flat=True)) == {Outcome.PENDING}
    html = as_finance.get(batch_url(batch)).content.decode()
    assert "回盘文件被拒绝" in html and 'id="upload-result"' in html


def _refused_upload(client, batch, content, name="result.txt"):
    response = upload(client, batch, content, name=name)
    assert response.status_code == 400
    assert Job.objects.filter(kind=kinds.PAYMENTS_APPLY).count() == 0
    return response.content.decode()


def test_d5_s3_an_upload_that_is_no_bank_file_is_refused_naming_the_field(
    as_finance, tree, finance
):
    signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=finance)
    good = result_file(batch)

    binary = _refused_upload(as_finance, batch, b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert "回盘文件：" in binary and "不是本页面接收的文件类型" in binary
    program = _refused_upload(as_finance, batch, b"\x7fELF" + bytes(100))
    assert "回盘文件：" in program
    not_bank = _refused_upload(as_finance, batch, "姓名,金额\n张三,30\n".encode(ENCODING))
    assert "该文件不是银行回盘文件" in not_bank
    utf8 = good.decode(ENCODING).replace("扣款成功", "成功").replace("成功", "余额不足")
    assert "UTF-8编码" in _refused_upload(as_finance, batch, utf8.encode("utf-8"))
    other = good.decode(ENCODING).replace(batch.number, "2022NOTTHISONE", 1)
    assert "2022NOTTHISONE的回盘" in _refused_upload(as_finance, batch, other.encode(ENCODING))
    empty = as_finance.post(batch_url(batch), {})
    assert empty.status_code == 400 and "回盘文件：" in empty.content.decode()
    assert AuditEvent.objects.filter(action=Action.UPLOAD_REJECTED).count() >= 5
    batch.refresh_from_db()
    assert batch.state == BatchState.BUILT


def test_d5_a_result_file_over_the_limit_is_refused(as_finance, tree, finance, settings):
    signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=finance)
    settings.HUZHU_BANK_FILE_MAX_BYTES = 1024 * 1024

    html = _refused_upload(as_finance, batch, result_file(batch) + b"x" * (1024 * 1024))

    assert "回盘文件：文件超过 1 MB" in html


def test_d5_a_settled_batch_takes_no_other_result(as_finance, tree, finance):
    batch, *_rest = _settled(as_finance, tree, finance)
    other = result_file(batch).decode(ENCODING).replace("\n", "\r\n").encode(ENCODING)

    html = _refused_upload_after(as_finance, batch, other)

    assert f"批次{batch.number}的回盘结果已经应用" in html


def _refused_upload_after(client, batch, content):
    before = Job.objects.count()
    response = upload(client, batch, content)
    assert response.status_code == 400
    assert Job.objects.count() == before
    return response.content.decode()


def test_s3_the_request_file_is_a_full_view_for_finance_and_audited(as_finance, tree, finance):
    enrollment = signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=finance)

    response = as_finance.get(reverse("console:finance_request_file", args=[batch.pk]))

    assert response.status_code == 200
    assert response.content == request_content(batch)
    assert card_of(enrollment) in response.content.decode(ENCODING)
    assert f"deduction-{batch.number}.txt" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action=Action.DEDUCTION_REQUEST_DOWNLOAD)
    assert event.actor_user == finance and event.data["batch"] == batch.number
    # Not through the general file download, which would not say it is a full view.
    general = reverse("console:stored_file", args=[batch.request_file_id])
    assert as_finance.get(general).status_code == 404


def test_s1_the_auditor_reads_batches_but_neither_downloads_nor_uploads(
    client, people, tree, finance
):
    signed(tree.hutang_union)
    batch = create_batch(year=2022, actor=finance)
    sign_in(client, people.auditor)

    html = client.get(batch_url(batch)).content.decode()

    assert batch.number in html and "张三" not in html
    assert 'id="request-file"' not in html and 'id="upload-result"' not in html
    assert 'id="build"' not in client.get(BATCHES).content.decode()
    assert client.get(reverse("console:finance_request_file", args=[batch.pk])).status_code == 403
    sent = {"file": SimpleUploadedFile("r.txt", b"H")}
    assert client.post(batch_url(batch), sent).status_code == 403


def test_s2_an_uploaded_result_file_downloads_for_finance_only(as_finance, tree, finance, people):
    from django.test import Client

    _batch, _ok, _failing, _content, job = _settled(as_finance, tree, finance)
    url = reverse("console:stored_file", args=[job.input_file_id])
    assert as_finance.get(url).status_code == 200
    auditor = sign_in(Client(), people.auditor)
    assert auditor.get(url).status_code == 404  # full card numbers: the bank's files are finance's


def test_s1_the_finance_link_is_in_the_nav_only_for_those_who_see_finance(client, people, finance):
    sign_in(client, finance)
    assert 'id="nav-finance"' in client.get("/console/").content.decode()
    sign_in(client, people.auditor)
    assert 'id="nav-finance"' in client.get("/console/").content.decode()
    sign_in(client, people.hutang_admin)
    assert 'id="nav-finance"' not in client.get("/console/").content.decode()


def make_refund(enrollment, amount="30.00") -> Refund:
    return Refund.objects.create(
        enrollment=enrollment,
        amount=Decimal(amount),
        reason="自助缴费与批次扣款重复",
        source=RefundSource.SELF_PAYMENT,
        created_at=timezone.now() - datetime.timedelta(days=1),
    )


def test_d7_finance_lists_refunds_to_make_with_masked_members(as_finance, tree):
    enrollment = signed(tree.hutang_union, "退款人")
    refund = make_refund(enrollment)

    html = as_finance.get(reverse("console:finance_refunds")).content.decode()

    member = enrollment.member
    assert "退款人" in html and member.id_number_masked in html
    assert crypto.decrypt(member.id_number_encrypted) not in html
    assert "自助缴费与批次扣款重复" in html and "30.00" in html
    assert reverse("console:finance_refund_made", args=[refund.pk]) in html
    opened = html.split('id="refunds-open"', 1)[1].split("</table>", 1)[0]
    assert "退款人" in opened


def test_d7_s3_a_refund_marked_made_once_with_confirmation_and_audit(as_finance, tree, finance):
    refund = make_refund(signed(tree.hutang_union, "退款人"))
    url = reverse("console:finance_refund_made", args=[refund.pk])

    confirm = as_finance.get(url).content.decode()
    first = as_finance.post(url, follow=True)
    refund.refresh_from_db()
    made_at = refund.made_at
    second = as_finance.post(url, follow=True)

    assert 'id="confirm-refund"' in confirm and "30.00" in confirm
    assert made_at is not None and refund.made_by == finance
    assert "已登记向退款人退款30.00元" in first.content.decode()
    assert "已" in second.content.decode() and second.status_code == 200
    refund.refresh_from_db()
    assert refund.made_at == made_at
    assert AuditEvent.objects.filter(action=Action.REFUND_MADE).count() == 1
    html = as_finance.get(reverse("console:finance_refunds")).content.decode()
    made = html.split('id="refunds-made"', 1)[1]
    assert "退款人" in made and "finance" in made
    assert "登记为已办理" in as_finance.get(url).content.decode()


def test_d7_the_auditor_cannot_mark_a_refund_made(client, people, tree):
    refund = make_refund(signed(tree.hutang_union))
    sign_in(client, people.auditor)

    assert client.post(reverse("console:finance_refund_made", args=[refund.pk])).status_code == 403
    html = client.get(reverse("console:finance_refunds")).content.decode()
    refund.refresh_from_db()
    assert refund.made_at is None and "confirm-refund" not in html
    assert reverse("console:finance_refund_made", args=[refund.pk]) not in html


def test_d5_the_items_page_costs_the_same_queries_for_two_or_five_items(as_finance, tree, finance):
    def queries_for(names):
        for name in names:
            signed(tree.hutang_union, name)
        batch = create_batch(year=2022, actor=finance)
        with CaptureQueriesContext(connection) as captured:
            response = as_finance.get(batch_url(batch))
        assert response.content.decode().count("<tr data-outcome=") == len(names)
        return len(captured)

    two = queries_for(["甲某", "乙某"])
    five = queries_for(["丙某", "丁某", "戊某", "己某", "庚某"])

    assert two == five
