"""Submitting a claim through the pages (SPEC C1, B0, C2, S5): the member portal's two
steps, the claim's page and its documents, resending and submitting again, and a union
clerk submitting for a member in the console."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huzhu.accounts.roles import Role
from huzhu.audit.actions import Action
from huzhu.audit.models import AuditEvent
from huzhu.claims import services
from huzhu.claims.models import Claim, ClaimDocument, ClaimState, ClaimStay
from huzhu.files.models import StoredFile
from tests.claims import pages as steps
from tests.claims.helpers import paid_member, submit
from tests.conftest import add_member, make_user, sign_in
from tests.payments.helpers import signed

pytestmark = pytest.mark.django_db
NEW = "portal:claim_new"


def _new(client):
    return reverse(NEW)


def _file_inputs(response) -> int:
    return response.content.decode().count('type="file"')


def _submitted(client, member, answers=None, files=None):
    """Both steps in the portal; the response of the second."""
    steps.as_member(client, member)
    step_two = steps.estimate(client, _new(client), answers or steps.hospital_answers())
    assert step_two.context["step"] == 2
    return steps.submit(
        client, _new(client), step_two.context["answers"], files or steps.all_photos()
    )


# --- C1: the member's two steps -------------------------------------------------------------


def test_c1_a_member_submits_a_hospitalization_claim_with_photos_and_sees_it_listed(client, tree):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    first = client.get(_new(client))
    assert first.status_code == 200 and _file_inputs(first) == 0
    html = first.content.decode()
    assert 'name="already_paid"' not in html  # the benefit ledger's, not the member's
    assert 'name="stay-0-invoice_number"' in html and 'name="stay-0-hospital"' in html

    second = steps.estimate(client, _new(client), steps.hospital_answers())
    html = second.content.decode()
    assert second.context["result"]["amount"] == "1000.00"
    assert "1000.00" in html and "全年累计个人自理 6200.00 元" in html
    assert (
        html.count('capture="environment"') == 6 and html.count("data-shrink data-shrinking") == 12
    )
    assert 'accept="image/*,application/pdf"' in html and "住院发票" in html

    done = steps.submit(client, _new(client), second.context["answers"], steps.all_photos())
    claim = Claim.objects.get()
    assert done.status_code == 302 and done["Location"].startswith(
        reverse("portal:claim", args=[claim.pk])
    )
    assert claim.member == member and claim.submitted_by is None
    assert claim.state == ClaimState.SUBMITTED and str(claim.estimate) == "1000.00"
    stay = ClaimStay.objects.get(claim=claim)
    assert (stay.hospital, stay.invoice_number, str(stay.discharged_on)) == (
        "武进人民医院",
        "FP-20220310",
        "2022-03-10",
    )
    assert claim.documents.count() == 5
    assert set(StoredFile.objects.values_list("unit_path", flat=True)) == {claim.unit_path}

    listed = client.get(reverse("portal:claims")).content.decode()
    assert f"#{claim.pk}" in listed and "住院医疗费用补助" in listed and "已提交" in listed
    assert "1000.00" in listed and "已收到" in listed
    page = client.get(reverse("portal:claim", args=[claim.pk])).content.decode()
    assert "已提交" in page and "invoice.jpg" in page and "已收到" in page


def test_c1_the_portal_home_leads_to_claims(client, tree):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    html = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:claims") in html and "补助申请" in html
    assert reverse(NEW) in html


def test_c1_missing_documents_are_named_and_a_retry_stores_nothing_twice(client, tree):
    member = paid_member(tree.hutang_union)
    missing = _submitted(client, member, files=steps.all_photos(skip=("discharge", "id_card")))
    html = missing.content.decode()
    assert missing.status_code == 200 and "出院小结" in html and "身份证" in html
    assert not Claim.objects.exists() and not StoredFile.objects.exists()
    token = missing.context["answers"]
    again = steps.submit(client, _new(client), token, steps.all_photos())
    assert again.status_code == 302
    assert Claim.objects.count() == 1 and StoredFile.objects.count() == 5
    # The same photos sent once more (a double tap): the files are the ones kept before.
    steps.submit(client, _new(client), token, steps.all_photos())
    assert StoredFile.objects.count() == 5


def test_c1_a_critical_illness_claim_asks_for_its_own_documents(client, tree):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    second = steps.estimate(client, _new(client), steps.illness_answers())
    html = second.content.decode()
    assert "诊断证明" in html or "diagnosis" in html
    assert 'name="doc-pathology"' in html and 'name="doc-invoice"' not in html
    done = steps.submit(
        client, _new(client), second.context["answers"], steps.all_photos("critical_illness")
    )
    assert done.status_code == 302
    assert Claim.objects.get().benefit == "critical_illness"


# --- B0: refused before the documents -------------------------------------------------------


def test_b0_a_member_without_any_enrollment_is_told_and_asked_for_nothing(client, tree):
    member = add_member(tree.hutang_union)
    steps.as_member(client, member)
    response = client.get(_new(client))
    assert 'id="no-enrollment"' in response.content.decode()
    assert _file_inputs(response) == 0 and 'name="benefit"' not in response.content.decode()


def test_b0_a_family_member_not_enrolled_is_refused_at_the_year(client, tree):
    enrolled = paid_member(tree.hutang_union, name="赵六")
    other = add_member(tree.hutang_union, name="赵小六", phone="13700002222")
    steps.as_member(client, enrolled, other)
    response = steps.estimate(client, _new(client), steps.hospital_answers(member=other.pk))
    assert response.context["step"] == 1 and _file_inputs(response) == 0
    assert "您未参加2022年度" in response.context["form"].errors["year"][0]
    assert "您未参加2022年度" in response.content.decode()


def test_b0_a_member_whose_fee_is_not_paid_is_refused_before_the_documents(client, tree):
    member = signed(tree.hutang_union).member
    steps.as_member(client, member)
    response = steps.estimate(client, _new(client), steps.hospital_answers())
    assert response.context["step"] == 1 and _file_inputs(response) == 0
    errors = response.context["form"].errors["year"]
    assert "缴费" in errors[0]
    assert errors[0] in response.content.decode()
    assert not Claim.objects.exists()


def test_b0_an_event_outside_the_coverage_period_is_refused_before_the_documents(client, tree):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    answers = steps.hospital_answers("2023-01-05", **{"stay-0-discharged_on": "2023-01-10"})
    response = steps.estimate(client, _new(client), answers)
    html = response.content.decode()
    assert response.context["step"] == 1 and _file_inputs(response) == 0
    assert "2022-12-31" in html and "2023-01-05" in html


def test_c1_a_discharge_before_the_admission_is_named(client, tree):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    answers = steps.hospital_answers(**{"stay-0-discharged_on": "2022-02-01"})
    response = steps.estimate(client, _new(client), answers)
    assert response.context["step"] == 1
    assert "出院日期早于入院日期" in response.content.decode()


# --- S5: what is uploaded ------------------------------------------------------------------


def test_s5_a_script_renamed_jpg_is_refused_naming_the_document_and_nothing_is_kept(client, tree):
    member = paid_member(tree.hutang_union)
    files = steps.all_photos()
    files["doc-invoice"] = [
        SimpleUploadedFile("invoice.jpg", b"#!/bin/sh\nrm -rf /\n", content_type="image/jpeg")
    ]
    response = _submitted(client, member, files=files)
    html = response.content.decode()
    assert response.status_code == 200 and response.context["step"] == 2
    assert "住院发票" in html and "invoice.jpg" in html and "程序" in html
    assert not Claim.objects.exists() and not StoredFile.objects.exists()
    # The refusal itself is kept in the audit log (SPEC S3), the stored photos are not.
    refused = AuditEvent.objects.get(action=Action.UPLOAD_REJECTED)
    assert refused.data["name"] == "invoice.jpg" and refused.data["kind"] == "claim"
    assert not AuditEvent.objects.filter(action=Action.UPLOAD).exists()


def test_s5_an_oversized_file_is_refused(client, tree, settings):
    member = paid_member(tree.hutang_union)
    settings.HUZHU_UPLOAD_MAX_BYTES = 1 << 20
    files = steps.all_photos()
    big = b"\xff\xd8\xff\xe0" + b"\0" * (1 << 20)
    files["doc-settlement"] = [SimpleUploadedFile("big.jpg", big, content_type="image/jpeg")]
    response = _submitted(client, member, files=files)
    html = response.content.decode()
    assert "医保结算单" in html and "big.jpg" in html and "1 MB" in html
    assert not Claim.objects.exists() and not StoredFile.objects.exists()


def test_s5_too_many_files_for_one_document_are_refused(client, tree):
    member = paid_member(tree.hutang_union)
    files = steps.all_photos()
    files["doc-invoice"] = [steps.photo(f"p{i}.jpg", colour=(i, 1, 1)) for i in range(11)]
    response = _submitted(client, member, files=files)
    assert "最多上传 10 个文件" in response.content.decode()
    assert not Claim.objects.exists() and not StoredFile.objects.exists()


def test_c1_tampered_answers_are_refused(client, tree):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    token = steps.estimate(client, _new(client), steps.hospital_answers()).context["answers"]
    head, _sep, tail = token.rpartition(":")
    forged = f"{head}:{'A' if tail[0] != 'A' else 'B'}{tail[1:]}"
    response = steps.submit(client, _new(client), forged, steps.all_photos())
    assert response.status_code == 400 and 'id="claim-stale"' in response.content.decode()
    assert not Claim.objects.exists() and not StoredFile.objects.exists()


def test_c1_answers_signed_for_one_member_are_refused_for_another(client, tree):
    member = paid_member(tree.hutang_union, name="赵六")
    other = paid_member(tree.hutang_union_b, name="钱七")
    steps.as_member(client, member)
    token = steps.estimate(client, _new(client), steps.hospital_answers()).context["answers"]
    steps.as_member(client, other)
    response = steps.submit(client, _new(client), token, steps.all_photos())
    assert response.status_code == 400 and not Claim.objects.exists()


def test_c1_the_same_answers_submitted_twice_make_one_claim(client, tree):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    step_two = steps.estimate(client, _new(client), steps.hospital_answers())
    token = step_two.context["answers"]
    first = steps.submit(client, _new(client), token, steps.all_photos())
    again = steps.submit(client, _new(client), token, steps.all_photos())
    claim = Claim.objects.get(member=member)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert claim.documents.count() == len(steps.all_photos())
    assert AuditEvent.objects.filter(action=Action.CLAIM_SUBMIT).count() == 1


def test_c1_a_claim_with_other_answers_or_stays_is_a_new_claim(tree):
    member = paid_member(tree.hutang_union)
    first = submit(member, invoices=["FP-1"])
    assert submit(member, invoices=["FP-1"]) == first
    assert submit(member, invoices=["FP-2"]) != first
    services.start_review(claim_id=first.pk, actor=make_user("c1_rev", Role.AGENCY, tree.district))
    assert submit(member, invoices=["FP-1"]) != first
    assert Claim.objects.filter(member=member).count() == 3


def test_c1_the_answers_can_be_changed_from_the_documents_step(client, tree):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    token = steps.estimate(client, _new(client), steps.hospital_answers()).context["answers"]
    back = client.post(_new(client), {"action": "edit", "answers": token})
    html = back.content.decode()
    assert back.context["step"] == 1 and 'value="FP-20220310"' in html
    assert 'value="6200.00"' in html or 'value="6200"' in html


# --- the claim's page and documents ---------------------------------------------------------


def test_s5_a_member_opens_their_own_document_inline(client, tree):
    member = paid_member(tree.hutang_union)
    _submitted(client, member)
    document = ClaimDocument.objects.get(kind="invoice")
    url = reverse("portal:claim_document", args=[document.claim_id, document.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    seen = AuditEvent.objects.get(action=Action.FILE_DOWNLOAD)
    assert seen.actor_member_id == member.pk and seen.object_id == str(document.file_id)


def test_s1_another_members_claim_and_document_are_not_found(client, tree):
    member = paid_member(tree.hutang_union, name="赵六")
    other = paid_member(tree.hutang_union_b, name="钱七")
    claim = submit(member)
    document = claim.documents.first()
    steps.as_member(client, other)
    assert client.get(reverse("portal:claim", args=[claim.pk])).status_code == 404
    url = reverse("portal:claim_document", args=[claim.pk, document.pk])
    assert client.get(url).status_code == 404
    # Someone's document under one's own claim's number: not found either.
    own = submit(other)
    url = reverse("portal:claim_document", args=[own.pk, document.pk])
    assert client.get(url).status_code == 404
    response = client.post(reverse("portal:claim_resend", args=[claim.pk]), {"note": "补充"})
    assert response.status_code == 404
    assert f"#{claim.pk}" not in client.get(reverse("portal:claims")).content.decode()


def test_c2_a_returned_claim_is_sent_back_with_a_document_and_a_note(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = submit(member)
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    services.return_claim(
        claim_id=claim.pk, actor=reviewers.agency, reason="发票不清晰，请重新拍照"
    )
    steps.as_member(client, member)
    page = client.get(reverse("portal:claim", args=[claim.pk]))
    html = page.content.decode()
    assert "发票不清晰，请重新拍照" in html and 'id="claim-resend"' in html
    response = client.post(
        reverse("portal:claim_resend", args=[claim.pk]),
        {"note": "已重新拍摄发票", "doc-invoice": [steps.photo("invoice2.jpg", colour=(1, 2, 3))]},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED
    assert claim.documents.filter(kind="invoice").count() == 2
    assert claim.events.filter(reason="已重新拍摄发票").exists()
    # Sent: nothing more can be added until it is returned again.
    again = client.post(reverse("portal:claim_resend", args=[claim.pk]), {"note": "再补充"})
    assert again.status_code == 409


def test_c1_the_same_photo_sent_twice_is_one_document(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    files = steps.all_photos()
    files["doc-invoice"] = [steps.photo("a.jpg"), steps.photo("a (1).jpg")]
    assert _submitted(client, member, files=files).status_code == 302
    claim = Claim.objects.get(member=member)
    assert claim.documents.filter(kind="invoice").count() == 1
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    services.return_claim(claim_id=claim.pk, actor=reviewers.agency, reason="请补充")
    response = client.post(
        reverse("portal:claim_resend", args=[claim.pk]),
        {"note": "再发一次", "doc-invoice": [steps.photo("a.jpg")]},
    )
    assert response.status_code == 302
    assert claim.documents.filter(kind="invoice").count() == 1


def test_c2_a_returned_claim_needs_something_to_send(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = submit(member)
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    services.return_claim(claim_id=claim.pk, actor=reviewers.agency, reason="缺少出院小结")
    steps.as_member(client, member)
    response = client.post(reverse("portal:claim_resend", args=[claim.pk]), {"note": "  "})
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.state == ClaimState.RETURNED


def test_c2_a_claim_waiting_for_settlement_is_sent_with_the_settled_amounts(
    client, tree, reviewers
):
    from tests.claims.helpers import hospital_facts, stay

    member = paid_member(tree.hutang_union)
    claim = submit(member, hospital_facts(stay(self_pay="0", settlement_pending=True)))
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    services.needs_settlement(claim_id=claim.pk, actor=reviewers.agency)
    steps.as_member(client, member)
    html = client.get(reverse("portal:claim", args=[claim.pk])).content.decode()
    assert 'name="stay-0-settled_self_pay"' in html
    answers = steps.hospital_answers(self_pay="12000")
    answers = {k: v for k, v in answers.items() if k.startswith("stay-")}
    answers["doc-settlement"] = [steps.photo("settled.jpg", colour=(9, 9, 9))]
    response = client.post(reverse("portal:claim_resend", args=[claim.pk]), answers)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED
    assert claim.facts["episodes"][0]["settled_self_pay"] == "12000.00"
    assert not claim.facts["episodes"][0]["settlement_pending"]
    assert str(claim.estimate) == "1500.00"
    assert claim.stays.get().invoice_number == "FP-20220310"


def test_c2_a_rejected_claim_is_submitted_again_as_a_new_claim_naming_it(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    old = submit(member)
    services.start_review(claim_id=old.pk, actor=reviewers.agency)
    services.reject(claim_id=old.pk, actor=reviewers.agency, reason="发票与结算单不符")
    steps.as_member(client, member)
    page = client.get(reverse("portal:claim", args=[old.pk])).content.decode()
    link = f"{reverse(NEW)}?resubmit={old.pk}"
    assert "发票与结算单不符" in page and link in page
    assert 'id="claim-explanation"' in page
    first = client.get(link)
    assert 'name="resubmit"' in first.content.decode()
    assert 'value="2022-03-01"' in first.content.decode()  # answered as before
    second = steps.estimate(client, _new(client), steps.hospital_answers(resubmit=old.pk))
    done = steps.submit(client, _new(client), second.context["answers"], steps.all_photos())
    assert done.status_code == 302
    new = Claim.objects.exclude(pk=old.pk).get()
    assert new.resubmission_of == old and new.state == ClaimState.SUBMITTED


def test_c2_only_a_rejected_claim_of_ones_own_can_be_submitted_again(client, tree):
    member = paid_member(tree.hutang_union)
    open_claim = submit(member)
    steps.as_member(client, member)
    assert client.get(f"{reverse(NEW)}?resubmit={open_claim.pk}").status_code == 404
    assert client.get(f"{reverse(NEW)}?resubmit=x").status_code == 404


# --- the console: a clerk submits for a member ----------------------------------------------


def test_c1_a_clerk_submits_for_a_member_of_their_union(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    sign_in(client, reviewers.clerk)
    page = client.get(reverse("console:member", args=[member.pk])).content.decode()
    url = reverse("console:member_claim_new", args=[member.pk])
    assert url in page
    second = steps.estimate(client, url, steps.hospital_answers())
    assert second.context["step"] == 2
    done = steps.submit(client, url, second.context["answers"], steps.all_photos())
    assert done.status_code == 302 and done["Location"] == reverse(
        "console:member", args=[member.pk]
    )
    claim = Claim.objects.get()
    assert claim.member == member and claim.submitted_by == reviewers.clerk
    assert set(claim.documents.values_list("uploaded_by", flat=True)) == {reviewers.clerk.pk}


def test_c1_answers_signed_in_the_portal_are_refused_in_the_console(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    token = steps.estimate(client, _new(client), steps.hospital_answers()).context["answers"]
    sign_in(client, reviewers.clerk)
    url = reverse("console:member_claim_new", args=[member.pk])
    assert steps.submit(client, url, token, steps.all_photos()).status_code == 400
    assert not Claim.objects.exists()


def test_s1_niutang_admin_cannot_submit_for_a_hutang_member(client, tree):
    member = paid_member(tree.hutang_union)
    niutang = make_user("niutang_claims", Role.ORG_ADMIN, tree.niutang)
    sign_in(client, niutang)
    url = reverse("console:member_claim_new", args=[member.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, steps.hospital_answers()).status_code == 404


def test_s1_the_auditor_may_not_submit_claims(client, tree):
    member = paid_member(tree.hutang_union)
    sign_in(client, make_user("auditor_claims", Role.AUDITOR, tree.district))
    url = reverse("console:member_claim_new", args=[member.pk])
    assert client.get(url).status_code == 403
    page = client.get(reverse("console:member", args=[member.pk])).content.decode()
    assert url not in page


def test_a_get_of_the_resend_action_is_the_apps_405(client, tree):
    member = paid_member(tree.hutang_union)
    claim = submit(member)
    steps.as_member(client, member)
    response = client.get(reverse("portal:claim_resend", args=[claim.pk]))
    assert response.status_code == 405 and "POST" in response["Allow"]
    assert re.search("无法以这种方式打开此页面", response.content.decode())


def test_c2_damaged_stays_sent_with_a_settlement_change_nothing(client, tree, reviewers):
    from tests.claims.helpers import hospital_facts, stay

    member = paid_member(tree.hutang_union)
    claim = submit(member, hospital_facts(stay(self_pay="0", settlement_pending=True)))
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    services.needs_settlement(claim_id=claim.pk, actor=reviewers.agency)
    steps.as_member(client, member)
    answers = {k: v for k, v in steps.hospital_answers().items() if k.startswith("stay-")}
    answers["stay-TOTAL_FORMS"] = "abc"
    response = client.post(reverse("portal:claim_resend", args=[claim.pk]), answers)
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.state == ClaimState.NEEDS_SETTLEMENT


@pytest.mark.parametrize(
    "data",
    [
        {"action": "submit"},
        {"action": "submit", "answers": "x" * 5000},
        {"action": "edit", "answers": ""},
        {"action": "estimate", "year": "9999", "benefit": "nonsense"},
        {"action": "estimate", "resubmit": "12345678901234567890"},
        {"action": "estimate", "resubmit": "²"},
        {"action": "estimate", "member": "²", **steps.hospital_answers()},
    ],
)
def test_hostile_posts_of_the_new_claim_page_are_answered_without_a_500(client, tree, data):
    member = paid_member(tree.hutang_union)
    steps.as_member(client, member)
    response = client.post(_new(client), data)
    assert response.status_code in (200, 400, 404)
    assert not Claim.objects.exists()
