"""The claim review console (SPEC C2, C3, C6, B-X1, B-X2, S1, S5): the queue and its
filters, a claim's page, its documents and every reviewer action through the pages."""

import datetime
import re
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
from huzhu.claims import selectors, services
from huzhu.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimState
from huzhu.files import rules as file_rules
from huzhu.files.services import store_generated
from tests.claims import pages as steps
from tests.claims.helpers import (
    hospital_facts,
    illness_facts,
    injury_facts,
    paid_member,
    photo_bytes,
    stay,
    submit,
)
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db
S = ClaimState


@pytest.fixture
def niutang_admin(tree):
    return make_user("niutang_claims", Role.ORG_ADMIN, tree.niutang)


def _queue_ids(client, **query) -> list[int]:
    response = client.get(reverse("console:claims"), query)
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'<tr id="claim-(\d+)"', response.content.decode())]


def _page(client, claim) -> str:
    response = client.get(reverse("console:claim", args=[claim.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _post(client, claim, action, **data):
    response = client.post(reverse(f"console:claim_{action}", args=[claim.pk]), data)
    if response.status_code == 302:
        assert response["Location"] == reverse("console:claim", args=[claim.pk])
        return client.get(response["Location"])
    return response


def _state(claim) -> str:
    return Claim.objects.values_list("state", flat=True).get(pk=claim.pk)


# --- the queue ------------------------------------------------------------------------------


def test_s1_hutang_agency_sees_only_hutang_claims_and_the_district_sees_all(
    client, tree, reviewers
):
    hutang = submit(paid_member(tree.hutang_union, name="赵六"))
    niutang = submit(paid_member(tree.niutang_union, name="钱七"))
    sign_in(client, reviewers.hutang_agency)
    assert _queue_ids(client) == [hutang.pk]
    sign_in(client, reviewers.agency)
    assert _queue_ids(client) == [hutang.pk, niutang.pk]


def test_s1_the_queue_shows_names_and_masked_id_numbers_only(client, tree, reviewers):
    member = paid_member(tree.hutang_union, name="赵六")
    submit(member)
    sign_in(client, reviewers.agency)
    html = client.get(reverse("console:claims")).content.decode()
    assert "赵六" in html and member.id_number_masked in html and "*" in member.id_number_masked
    assert not re.search(r"\d{17}[\dX]", html)


def test_c2_the_reviewers_default_queue_is_submitted_and_in_review_oldest_first(
    client, tree, reviewers
):
    member = paid_member(tree.hutang_union)
    first = submit(member, hospital_facts(stay("2022-03-01")))
    second = submit(member, hospital_facts(stay("2022-05-01")))
    services.start_review(claim_id=second.pk, actor=reviewers.agency)
    returned = submit(member, hospital_facts(stay("2022-07-01")))
    services.start_review(claim_id=returned.pk, actor=reviewers.agency)
    services.return_claim(claim_id=returned.pk, actor=reviewers.agency, reason="缺发票")
    Claim.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - datetime.timedelta(3))
    sign_in(client, reviewers.agency)
    assert _queue_ids(client) == [first.pk, second.pk]
    assert _queue_ids(client, state="returned") == [returned.pk]
    # Every state: newest first.
    assert _queue_ids(client, state="all") == [returned.pk, second.pk, first.pk]


def test_the_queue_filters_by_benefit_unit_age_amount_and_year(client, tree, reviewers):
    hospital = submit(paid_member(tree.hutang_union, name="赵六"))  # estimate 1000
    injury = submit(paid_member(tree.niutang_union, name="钱七"), injury_facts(grade=3))
    Claim.objects.filter(pk=injury.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=40)
    )
    sign_in(client, reviewers.agency)
    assert _queue_ids(client, benefit="work_injury") == [injury.pk]
    assert _queue_ids(client, benefit="hospitalization") == [hospital.pk]
    assert _queue_ids(client, unit=tree.niutang.pk) == [injury.pk]
    assert _queue_ids(client, unit=tree.hutang.pk) == [hospital.pk]
    assert _queue_ids(client, age="week") == [hospital.pk]
    assert _queue_ids(client, age="month") == []
    assert _queue_ids(client, age="older") == [injury.pk]
    assert _queue_ids(client, min="2000") == [injury.pk]
    assert _queue_ids(client, max="1000.00") == [hospital.pk]
    assert _queue_ids(client, min="500", max="5000") == [injury.pk, hospital.pk]
    assert _queue_ids(client, year="2022") == [injury.pk, hospital.pk]
    assert _queue_ids(client, year="2023") == []
    # Nonsense is ignored, never a 500.
    assert _queue_ids(client, min="1e999", max="abc", age="x", benefit="y", state="z") == [
        injury.pk,
        hospital.pk,
    ]


def test_s1_a_unit_outside_the_scope_is_a_404_in_the_queue(client, tree, reviewers):
    sign_in(client, reviewers.hutang_agency)
    assert client.get(reverse("console:claims"), {"unit": tree.niutang.pk}).status_code == 404
    assert client.get(reverse("console:claims"), {"unit": "abc"}).status_code == 404


def test_the_queue_pages_by_keyset(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    claims = [submit(member, hospital_facts(stay(f"2022-0{m}-01"))) for m in (3, 4, 5)]
    user = reviewers.agency
    filters = selectors.QueueFilters()
    first = selectors.queue_page(user=user, filters=filters, size=2)
    assert [r.pk for r in first.rows] == [claims[0].pk, claims[1].pk] and first.first
    second = selectors.queue_page(user=user, filters=filters, after=first.next_after, size=2)
    assert [r.pk for r in second.rows] == [claims[2].pk] and second.next_after is None
    sign_in(client, user)
    html = client.get(reverse("console:claims"), {"after": claims[0].pk}).content.decode()
    assert f'id="claim-{claims[0].pk}"' not in html and f'id="claim-{claims[1].pk}"' in html


def test_s13_the_queue_costs_the_same_queries_whatever_the_page_size(
    client, tree, reviewers, django_assert_num_queries, monkeypatch
):
    member = paid_member(tree.hutang_union)
    for month in (3, 4, 5, 6, 7, 8):
        submit(member, hospital_facts(stay(f"2022-0{month}-01")))
    user = reviewers.agency
    # The rows (names and masked numbers in the same query), and the cursor's row.
    with django_assert_num_queries(1):
        assert len(selectors.queue_page(user=user, filters=selectors.QueueFilters()).rows) == 6
    with django_assert_num_queries(2):
        selectors.queue_page(user=user, filters=selectors.QueueFilters(), after=1, size=2)
    sign_in(client, user)
    counts = []
    for size in (1, 6):
        monkeypatch.setattr(selectors, "PAGE_SIZE", size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("console:claims"))
        assert response.status_code == 200
        assert len(re.findall(r'<tr id="claim-', response.content.decode())) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- a claim's page -------------------------------------------------------------------------


def test_s1_niutang_admin_gets_404_on_a_hutang_claim_and_on_its_document(
    client, tree, reviewers, niutang_admin
):
    claim = submit(paid_member(tree.hutang_union))
    document = claim.documents.first()
    sign_in(client, niutang_admin)
    assert client.get(reverse("console:claim", args=[claim.pk])).status_code == 404
    url = reverse("console:claim_document", args=[claim.pk, document.pk])
    assert client.get(url).status_code == 404
    sign_in(client, reviewers.hutang_agency)
    assert client.get(url).status_code == 200


def test_s5_a_document_of_another_claim_is_a_404(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim, other = submit(member), submit(member, hospital_facts(stay("2022-05-01")))
    sign_in(client, reviewers.agency)
    url = reverse("console:claim_document", args=[claim.pk, other.documents.first().pk])
    assert client.get(url).status_code == 404


def test_s5_an_image_opens_in_the_page_and_anything_else_is_a_download(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union))
    sign_in(client, reviewers.agency)
    image = claim.documents.first()
    response = client.get(reverse("console:claim_document", args=[claim.pk, image.pk]))
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    heic = store_generated(
        actor=None,
        content=b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40,
        name="photo.heic",
        unit_path=claim.unit_path,
        kind=file_rules.HEIC,
    ).file
    other = ClaimDocument.objects.create(
        claim=claim, kind="other", file=heic, uploaded_at=timezone.now()
    )
    response = client.get(reverse("console:claim_document", args=[claim.pk, other.pk]))
    assert response["Content-Type"] == "image/heic"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    html = _page(client, claim)
    assert 'data-viewer title="' in html and "huzhu/viewer.js" in html
    assert "photo.heic" in html


def test_c3_the_page_shows_the_facts_the_trial_calculation_and_the_history(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = submit(
        member,
        hospital_facts(stay("2022-03-01", self_pay="6200")),
        invoices=["FP-1001"],
        discharged=[datetime.date(2022, 3, 9)],
    )
    sign_in(client, reviewers.agency)
    html = _page(client, claim)
    assert member.id_number_masked in html and not re.search(r"\d{17}[\dX]", html)
    assert "住院" in html and "2022-03-09" in html and "FP-1001" in html
    assert "当前试算" in html and "1000.00" in html
    assert "开始审核" in html
    # The timeline: who, when, from → to, in Chinese.
    events = html.split('id="claim-events"')[1]
    assert "已提交" in events and "职工本人" in events and "member:" not in events


def test_c6_a_duplicate_invoice_is_shown_as_a_warning(client, tree, reviewers):
    first = submit(paid_member(tree.hutang_union, name="赵六"), invoices=["FP-0001"])
    second = submit(
        paid_member(tree.hutang_union, name="孙八"),
        hospital_facts(stay("2022-07-01")),
        invoices=["FP-0001"],
    )
    sign_in(client, reviewers.agency)
    html = _page(client, second)
    assert 'data-signal="duplicate_invoice"' in html and f"#{first.pk}" in html


def test_c6_s1_the_signals_are_for_reviewers_not_an_oracle_for_clerks(client, tree, reviewers):
    elsewhere = submit(paid_member(tree.niutang_union, name="赵六"), invoices=["FP-0001"])
    sign_in(client, reviewers.clerk)
    response = client.post(
        reverse("console:member_claim_new", args=[paid_member(tree.hutang_union).pk]),
        steps.hospital_answers(**{"stay-0-invoice_number": "FP-0001"}),
    )
    assert response.status_code == 200
    submitted = client.post(
        reverse("console:member_claim_new", args=[response.context["member"].pk]),
        {"action": "submit", "answers": response.context["answers"], **steps.all_photos()},
    )
    assert submitted.status_code == 302
    mine = Claim.objects.exclude(pk=elsewhere.pk).get()
    html = _page(client, mine)
    assert "data-signal" not in html and f"#{elsewhere.pk}" not in html
    for user in (reviewers.agency, make_user("c6_auditor", Role.AUDITOR, tree.district)):
        sign_in(client, user)
        assert f"#{elsewhere.pk}" in _page(client, mine)


def test_the_members_other_claims_of_the_year_are_linked(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = submit(member)
    other = submit(member, hospital_facts(stay("2022-06-01")))
    sign_in(client, reviewers.agency)
    assert reverse("console:claim", args=[other.pk]) in _page(client, claim)


# --- actions --------------------------------------------------------------------------------


def test_c2_a_reviewer_starts_and_a_second_click_does_nothing_twice(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union))
    sign_in(client, reviewers.hutang_agency)
    html = _post(client, claim, "start_review").content.decode()
    assert _state(claim) == S.IN_REVIEW and "核准" in html
    again = _post(client, claim, "start_review")
    assert again.status_code == 200 and "请刷新页面查看变化" in again.content.decode()
    assert ClaimEvent.objects.filter(claim=claim, to_state=S.IN_REVIEW).count() == 1


@pytest.mark.parametrize("role", ["org_admin", "clerk", "auditor", "finance"])
def test_c3_only_the_agency_and_the_district_review(client, tree, reviewers, role):
    claim = submit(paid_member(tree.hutang_union))
    user = {
        "org_admin": make_user("hutang_claims_admin", Role.ORG_ADMIN, tree.hutang),
        "clerk": reviewers.clerk,
        "auditor": make_user("auditor_claims", Role.AUDITOR, tree.district),
        "finance": make_user("finance_claims", Role.FINANCE, tree.district, True),
    }[role]
    sign_in(client, user)
    assert client.get(reverse("console:claim", args=[claim.pk])).status_code == 200
    for action in ("start_review", "approve", "reject", "second_approve"):
        response = client.post(reverse(f"console:claim_{action}", args=[claim.pk]))
        assert response.status_code == 403, action
    assert _state(claim) == S.SUBMITTED
    assert "开始审核" not in _page(client, claim)


def test_c2_an_action_the_state_does_not_allow_is_refused_in_chinese(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union))
    sign_in(client, reviewers.agency)
    for action in ("approve", "reject", "return", "settlement", "exclusions"):
        response = _post(client, claim, action, reason="原因")
        assert response.status_code == 200
        assert "请刷新页面查看变化" in response.content.decode(), action
    assert _state(claim) == S.SUBMITTED
    response = _post(client, claim, "second_approve")
    assert _state(claim) == S.SUBMITTED and response.status_code == 403


def test_c2_returning_and_rejecting_need_a_reason(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union))
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    sign_in(client, reviewers.agency)
    for action in ("return", "reject"):
        html = _post(client, claim, action, reason="  ").content.decode()
        assert "请填写原因。" in html
        assert _state(claim) == S.IN_REVIEW
    html = _post(client, claim, "return", reason="请补充出院小结").content.decode()
    assert _state(claim) == S.RETURNED and "请补充出院小结" in html


def test_c2_a_reviewer_rejects_with_a_reason(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union))
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    sign_in(client, reviewers.agency)
    _post(client, claim, "reject", reason="非本人住院")
    claim.refresh_from_db()
    assert claim.state == S.REJECTED and claim.amount == 0


def test_c2_a_reviewer_asks_for_settlement_first(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union))
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    sign_in(client, reviewers.agency)
    _post(client, claim, "settlement", reason="")
    assert _state(claim) == S.NEEDS_SETTLEMENT


def test_b_x1_exclusions_per_stay_make_the_stay_count_nothing(client, tree, reviewers):
    member = paid_member(tree.hutang_union)
    claim = submit(member, hospital_facts(stay("2022-03-01"), stay("2022-05-01")))
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    sign_in(client, reviewers.agency)
    html = _page(client, claim)
    assert 'name="exclusions-0" value="intoxication"' in html and "醉酒" in html
    html = _post(
        client, claim, "exclusions", **{"exclusions-1": ["intoxication", "nonsense"]}
    ).content.decode()
    claim.refresh_from_db()
    assert claim.facts["episodes"][0].get("exclusions", []) == []
    assert claim.facts["episodes"][1]["exclusions"] == ["intoxication"]
    assert 'name="exclusions-1" value="intoxication" checked' in html
    # Ticking nothing clears them.
    _post(client, claim, "exclusions")
    claim.refresh_from_db()
    assert claim.facts["episodes"][1]["exclusions"] == []


def test_b_x2_critical_illness_exclusions_are_recorded_for_the_claim(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union), illness_facts())
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    sign_in(client, reviewers.agency)
    html = _page(client, claim)
    assert 'value="pre_existing"' in html and 'value="intoxication"' not in html
    html = _post(client, claim, "exclusions", exclusions=["pre_existing"]).content.decode()
    claim.refresh_from_db()
    assert claim.facts["exclusions"] == ["pre_existing"]
    trial = html.split('id="claim-trial"')[1].split("</div>")[0]
    assert "0.00" in trial


def test_c3_self_approval_is_refused_with_a_clear_message(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union), actor=reviewers.agency)
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    sign_in(client, reviewers.agency)
    html = _post(client, claim, "approve").content.decode()
    assert _state(claim) == S.IN_REVIEW
    assert "本申请由您提交，须由他人核准。" in html
    sign_in(client, reviewers.district)
    _post(client, claim, "approve")
    assert _state(claim) == S.APPROVED


def test_c3_a_5000_claim_is_in_the_districts_tab_and_approved_by_a_second_admin(
    client, tree, reviewers
):
    claim = submit(paid_member(tree.hutang_union), illness_facts())
    sign_in(client, reviewers.district)
    _post(client, claim, "start_review")
    _post(client, claim, "approve")
    claim.refresh_from_db()
    assert claim.state == S.AWAITING_SECOND and claim.amount == Decimal("5000.00")
    assert claim.pk not in _queue_ids(client)
    assert _queue_ids(client, state="awaiting_second") == [claim.pk]
    assert 'id="tab-second"' in client.get(reverse("console:claims")).content.decode()
    # The first approver may not give the second approval.
    html = _post(client, claim, "second_approve").content.decode()
    assert _state(claim) == S.AWAITING_SECOND and "复核须由他人进行" in html
    # The agency has no second-approval tab and may not give it.
    sign_in(client, reviewers.agency)
    assert 'id="tab-second"' not in client.get(reverse("console:claims")).content.decode()
    assert _post(client, claim, "second_approve").status_code == 403
    sign_in(client, reviewers.district_b)
    _post(client, claim, "second_approve", reason="材料齐全")
    claim.refresh_from_db()
    assert claim.state == S.APPROVED and claim.second_approved_by == reviewers.district_b


def test_c3_the_second_approver_sends_it_back_with_a_reason(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union), illness_facts())
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    services.approve(claim_id=claim.pk, actor=reviewers.agency)
    sign_in(client, reviewers.district)
    _post(client, claim, "send_back", reason="")
    assert _state(claim) == S.AWAITING_SECOND
    html = _post(client, claim, "send_back", reason="诊断医院等级需核实").content.decode()
    assert _state(claim) == S.IN_REVIEW and "诊断医院等级需核实" in html


def test_a_claim_in_scope_of_nobody_is_a_404_for_actions_too(
    client, tree, reviewers, niutang_admin
):
    claim = submit(paid_member(tree.hutang_union))
    agency = make_user("agency_niutang", Role.AGENCY, tree.niutang)
    sign_in(client, agency)
    response = client.post(reverse("console:claim_start_review", args=[claim.pk]))
    assert response.status_code == 404 and _state(claim) == S.SUBMITTED


def test_s3_the_auditor_reads_a_claim_and_its_documents_and_each_view_is_logged(
    client, tree, reviewers
):
    claim = submit(paid_member(tree.hutang_union))
    document = claim.documents.first()
    auditor = make_user("auditor_claims", Role.AUDITOR, tree.district)
    sign_in(client, auditor)
    assert "开始审核" not in _page(client, claim)
    url = reverse("console:claim_document", args=[claim.pk, document.pk])
    assert client.get(url).status_code == 200
    views = AuditEvent.objects.filter(actor_user=auditor, action=Action.PAGE_VIEW)
    assert views.count() == 2
    downloads = AuditEvent.objects.filter(actor_user=auditor, action=Action.FILE_DOWNLOAD)
    assert downloads.count() == 1


def test_b_x1_work_injury_exclusions_are_recorded_for_the_claim(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union), injury_facts(grade=3))
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    sign_in(client, reviewers.agency)
    html = _post(client, claim, "exclusions", exclusions=["fighting"], reason="斗殴致伤")
    claim.refresh_from_db()
    assert claim.facts["exclusions"] == ["fighting"]
    html = html.content.decode()
    assert "斗殴" in html.split('id="claim-facts"')[1].split("</dl>")[0]
    assert "斗殴致伤" in html.split('id="claim-events"')[1]
    _post(client, claim, "approve")
    assert _state(claim) == S.IN_REVIEW  # nothing payable: the reviewer must reject
    _post(client, claim, "reject", reason="斗殴致伤，属除外责任")
    assert _state(claim) == S.REJECTED


@pytest.mark.parametrize("value", ["9" * 30, "-1", "1e400", "²", "\u0661", "0", "2022.0"])
def test_no_query_value_gives_a_500(client, tree, reviewers, value):
    claim = submit(paid_member(tree.hutang_union))
    sign_in(client, reviewers.agency)
    for key in ("year", "after", "min", "max", "age", "state", "benefit"):
        assert _queue_ids(client, **{key: value}) in ([claim.pk], []), key
    assert client.get(reverse("console:claims"), {"unit": value}).status_code == 404
    big = 10**30
    assert client.get(reverse("console:claim", args=[big])).status_code == 404
    assert client.get(reverse("console:claim_document", args=[claim.pk, big])).status_code == 404
    assert client.post(reverse("console:claim_approve", args=[big])).status_code == 404


def test_c1_c2_a_clerk_sends_more_for_a_returned_claim_on_the_members_behalf(
    client, tree, reviewers
):
    claim = submit(paid_member(tree.hutang_union), actor=reviewers.clerk)
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    services.return_claim(claim_id=claim.pk, actor=reviewers.agency, reason="请补充出院小结")
    sign_in(client, reviewers.clerk)
    page = client.get(reverse("console:claim", args=[claim.pk])).content.decode()
    assert 'id="claim-resend"' in page and "代职工补充材料" in page
    url = reverse("console:claim_resend", args=[claim.pk])
    empty = client.post(url, {"note": ""})
    assert empty.status_code == 400 and "claim-resend-error" in empty.content.decode()
    photo = SimpleUploadedFile("出院小结.jpg", photo_bytes(colour=(9, 9, 9)), "image/jpeg")
    sent = client.post(url, {"note": "已补出院小结", "doc-discharge": photo})
    assert sent.status_code == 302
    claim.refresh_from_db()
    assert claim.state == "submitted"
    event = claim.events.order_by("-pk").first()
    assert event.actor == reviewers.clerk and event.reason == "已补出院小结"
    assert claim.documents.filter(kind="discharge").count() == 2
    # Sent again: the claim is no longer returned, nothing is added.
    events = claim.events.count()
    again = client.post(url, {"note": "再次"}, follow=True)
    assert "已提交" in again.content.decode() and claim.events.count() == events


def test_s1_staff_of_another_town_cannot_send_for_a_hutang_claim(client, tree, reviewers):
    claim = submit(paid_member(tree.hutang_union))
    services.start_review(claim_id=claim.pk, actor=reviewers.agency)
    services.return_claim(claim_id=claim.pk, actor=reviewers.agency, reason="补材料")
    niutang = make_user("niutang_resend", Role.ORG_ADMIN, tree.niutang)
    sign_in(client, niutang)
    assert (
        client.post(reverse("console:claim_resend", args=[claim.pk]), {"note": "x"}).status_code
        == 404
    )
    auditor = make_user("auditor_resend", Role.AUDITOR, tree.district)
    sign_in(client, auditor)
    assert (
        client.post(reverse("console:claim_resend", args=[claim.pk]), {"note": "x"}).status_code
        == 403
    )
    claim.refresh_from_db()
    assert claim.state == "returned"
