"""The payout pages (SPEC C4, D5, S1–S3, §12 Finance): finance builds a payout batch,
downloads its request file (audited), uploads the bank's result; a tampered result is
refused with every problem; the follow-up list; the auditor reads and is refused every POST;
other roles are refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huzhu.accounts.roles import Role
from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.bank.simulated_bank import answer_payout_file
from huzhu.claims import payouts
from huzhu.claims.models import ClaimState, PayoutBatch, PayoutItem, RefusedPayoutFile
from huzhu.members.sms import OutboxSender
from huzhu.payments.bankfile import ENCODING
from tests.claims.helpers import approved, hospital_facts, paid_member
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db

PAYOUTS = "/console/finance/payouts/"


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.HUZHU_FILES_DIR = tmp_path / "files"


@pytest.fixture
def finance(tree):
    return make_user("finance", Role.FINANCE, tree.district, second_factor=True)


@pytest.fixture
def claim(tree):
    agency = make_user("agency_payouts", Role.AGENCY, tree.district)
    district = make_user("district_payouts", Role.DISTRICT_ADMIN, tree.district, True)
    member = paid_member(tree.hutang_union)
    return approved(member, hospital_facts(), agency, second=district)


def batch_url(batch) -> str:
    return reverse("console:finance_payout", kwargs={"batch_pk": batch.pk})


def upload(client, batch, content: bytes):
    return client.post(batch_url(batch), {"file": SimpleUploadedFile("result.txt", content)})


def test_c4_finance_builds_downloads_and_uploads_the_result(
    client, finance, claim, django_capture_on_commit_callbacks
):
    sign_in(client, finance)
    page = client.get(PAYOUTS)
    assert page.status_code == 200
    html = page.content.decode()
    assert "补助支付" in html and 'id="build-payout-batch"' in html
    response = client.post(PAYOUTS)
    batch = PayoutBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch_url(batch)
    page = client.get(batch_url(batch))
    html = page.content.decode()
    assert claim.member.union_card_masked in html and claim.member.name in html
    download = client.get(reverse("console:finance_payout_request_file", args=[batch.pk]))
    assert download.status_code == 200 and "no-store" in download["Cache-Control"]
    content = download.content
    assert content.decode(ENCODING).startswith(f"H|{batch.number}|1|")
    assert AuditEvent.objects.filter(action=Action.PAYOUT_REQUEST_DOWNLOAD).count() == 1
    OutboxSender.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, batch, answer_payout_file(content))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID
    assert len(OutboxSender.outbox) == 1
    page = client.get(response["Location"])
    assert "1 笔已支付" in page.content.decode()
    # The same file again changes nothing and says so.
    with django_capture_on_commit_callbacks(execute=True):
        again = upload(client, batch, answer_payout_file(content))
    assert again.status_code == 302
    assert "未作任何改动" in client.get(again["Location"]).content.decode()
    assert len(OutboxSender.outbox) == 1


def test_d5_a_tampered_result_is_refused_on_the_page_with_every_problem(client, finance, claim):
    sign_in(client, finance)
    batch = payouts.create_payout_batch(actor=None)
    rows = answer_payout_file(payouts.request_content(batch)).decode(ENCODING).splitlines()
    head = rows[0].split("|")
    head[2] = "2"
    extra = "D|2|999999|6231660000000009999|10.00|0000|入账成功"
    total = sum(float(row.split("|")[4]) for row in [*rows[1:], extra])
    head[3] = f"{total:.2f}"
    content = ("\r\n".join(["|".join(head), *rows[1:], extra]) + "\r\n").encode(ENCODING)
    response = upload(client, batch, content)
    assert response.status_code == 400
    html = response.content.decode()
    assert "999999" in html
    assert RefusedPayoutFile.objects.count() == 1
    page = client.get(batch_url(batch)).content.decode()
    assert 'id="refused-files"' in page and "999999" in page
    assert PayoutItem.objects.get().outcome == "pending"


def test_c4_a_result_of_another_batch_is_refused_before_reading_it(client, finance, claim):
    sign_in(client, finance)
    batch = payouts.create_payout_batch(actor=None)
    content = answer_payout_file(payouts.request_content(batch)).replace(
        batch.number.encode(), b"P20990101OTHER"
    )
    response = upload(client, batch, content)
    assert response.status_code == 400
    assert "P20990101OTHER" in response.content.decode()
    assert PayoutItem.objects.get().outcome == "pending"


def test_c4_the_follow_up_list_shows_payouts_that_failed_too_often(client, finance, claim):
    limit = payouts.current_policies()[2022].max_attempts
    for _attempt in range(limit):
        batch = payouts.create_payout_batch(actor=None)
        item = PayoutItem.objects.get(batch=batch)
        payouts.apply_payout_result(
            content=answer_payout_file(
                payouts.request_content(batch), failures={str(item.pk): "no_such_card"}
            ),
            actor=None,
        )
    sign_in(client, finance)
    page = client.get(reverse("console:finance_payout_follow_up"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"#{claim.pk}" in html and "卡号不存在" in html
    # Finance puts it back once the card is checked; the next batch takes it.
    answer = client.post(
        reverse("console:finance_payout_release", args=[claim.pk]),
        {"reason": "职工已更换工会卡"},
        follow=True,
    )
    assert "将进入下一个支付批次" in answer.content.decode()
    batch = payouts.create_payout_batch(actor=None)
    assert batch is not None and PayoutItem.objects.get(batch=batch).claim_id == claim.pk
    refused = client.post(
        reverse("console:finance_payout_release", args=[claim.pk]), {"reason": "再次"}, follow=True
    )
    assert "不在人工跟进列表中" in refused.content.decode()


def test_s1_the_auditor_reads_the_payout_pages_and_every_post_is_refused(client, people, claim):
    batch = payouts.create_payout_batch(actor=None)
    sign_in(client, people.auditor)
    assert client.get(PAYOUTS).status_code == 200
    page = client.get(batch_url(batch))
    assert page.status_code == 200 and 'id="request-file"' not in page.content.decode()
    assert client.get(reverse("console:finance_payout_follow_up")).status_code == 200
    download = reverse("console:finance_payout_request_file", args=[batch.pk])
    assert client.get(download).status_code == 403
    assert client.post(PAYOUTS).status_code == 403
    content = answer_payout_file(payouts.request_content(batch))
    assert upload(client, batch, content).status_code == 403
    assert PayoutBatch.objects.count() == 1
    assert PayoutItem.objects.get().outcome == "pending"


@pytest.mark.parametrize("persona", ["hutang_admin", "hutang_clerk", "niutang_admin"])
def test_s1_other_roles_are_refused_the_payout_pages(client, people, claim, persona):
    batch = payouts.create_payout_batch(actor=None)
    sign_in(client, getattr(people, persona))
    for url in (
        PAYOUTS,
        batch_url(batch),
        reverse("console:finance_payout_follow_up"),
        reverse("console:finance_payout_request_file", args=[batch.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(PAYOUTS).status_code == 403
    assert PayoutBatch.objects.count() == 1


def test_d9_the_reconciliation_page_checks_payout_batches(client, finance, claim):
    batch = payouts.create_payout_batch(actor=None)
    payouts.apply_payout_result(
        content=answer_payout_file(payouts.request_content(batch)), actor=None
    )
    sign_in(client, finance)
    html = client.get(reverse("console:ledger_reconcile")).content.decode()
    assert 'id="reconcile-payouts"' in html and batch.number in html
    assert "不平" not in html.split('id="reconcile-payouts"')[1].split("</table>")[0]
