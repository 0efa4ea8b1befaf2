"""Demo claims of 2022 (SPEC §9): a few members of 湖塘镇 claim through the claim services,
so the review queue, the second approvals and the statistics have something in every state.
Deterministic, like the rest of the demo. Documents are small generated photos and PDFs.

The services stamp every change with the present moment; afterwards the claims' times are
moved back into 2022 (a few days after each event, a few days between changes), so the
statistics show months and approval times as a real year would."""

import datetime
import io
from collections.abc import Sequence

from django.utils import timezone
from PIL import Image
from reportlab.lib.pagesizes import A5
from reportlab.pdfgen import canvas

from huzhu.accounts.models import User
from huzhu.bank.simulated_bank import answer_payout_file
from huzhu.claims import payouts, recovery, rules, services
from huzhu.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimState, RecoveryMethod
from huzhu.dates import SCHEME_ZONE
from huzhu.enrollment.models import Enrollment, State
from huzhu.files import rules as file_kinds
from huzhu.files.models import StoredFile
from huzhu.files.services import store_generated
from huzhu.members.models import Member

YEAR = 2022
# Documents photographed (JPEG) and those handed in as PDF.
PDF_KINDS = {"discharge", "diagnosis", "pathology", "appraisal", "injury_determination"}


def _photo(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (seed * 37 % 255, 120, 160)).save(out, "JPEG", quality=60)
    return out.getvalue()


def _pdf(title: str) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A5, invariant=1)
    page.setTitle(title)
    page.drawString(40, 500, f"huzhu demo document: {title}")
    page.showPage()
    page.save()
    return out.getvalue()


def _documents(member: Member, benefit: str, seed: int) -> list[tuple[str, StoredFile]]:
    found = []
    for index, kind in enumerate(rules.required_documents(benefit)):
        if kind in PDF_KINDS:
            content, name, file_kind = _pdf(kind), f"{kind}.pdf", file_kinds.PDF
        else:
            content, name, file_kind = _photo(seed * 10 + index), f"{kind}.jpg", file_kinds.JPEG
        stored = store_generated(
            actor=None, content=content, name=name, unit_path=member.unit_path, kind=file_kind
        )
        found.append((kind, stored.file))
    return found


def _stay(admitted_on: str, self_pay: str, days: int = 6) -> dict:
    return {
        "admitted_on": admitted_on,
        "cause": "illness",
        "insurance_scope": "jiangsu",
        "settled_self_pay": self_pay,
        "_days": days,
    }


def _submit(
    member: Member,
    facts: dict,
    *,
    seed: int,
    invoices: Sequence[str] = (),
    hospital: str = "武进人民医院",
    actor: User | None = None,
) -> Claim:
    stays = []
    if facts["benefit"] == "hospitalization":
        for index, episode in enumerate(facts["episodes"]):
            admitted = datetime.date.fromisoformat(episode["admitted_on"])
            stays.append(
                services.StayDetails(
                    discharged_on=admitted + datetime.timedelta(days=episode.pop("_days")),
                    hospital=hospital,
                    invoice_number=invoices[index] if index < len(invoices) else "",
                )
            )
    return services.submit_claim(
        member=member,
        facts=facts,
        documents=_documents(member, facts["benefit"], seed),
        stays=stays,
        actor=actor,
    )


def _hospital(*stays: dict) -> dict:
    return {"year": YEAR, "benefit": "hospitalization", "episodes": list(stays)}


def _claimants(count: int) -> list[Member]:
    """Members of 湖塘镇 whose 2022 fee is paid, in a fixed order."""
    ids = (
        Enrollment.objects.filter(year=YEAR, state=State.PAID, organizing_unit__name="湖塘镇")
        .order_by("member_id")
        .values_list("member_id", flat=True)[:count]
    )
    return list(Member.objects.filter(pk__in=list(ids)).order_by("pk"))


def load_demo_claims() -> dict[str, Claim]:
    """One claim in each state a reviewer meets, a 5,000 critical-illness claim waiting for
    the district's second approval, and a member whose two stays are claimed one after the
    other (B-H4: the second pays the top-up of the year's tier)."""
    agency = User.objects.get(username="agency")
    clerk = User.objects.get(username="hutang_clerk")
    members = _claimants(8)
    if len(members) < 8:
        return {}
    made: dict[str, Claim] = {}

    def reviewed(member: Member, facts: dict, **kwargs) -> int:
        """Submitted (by the member, or the clerk as `actor`), then taken up by the agency."""
        claim = _submit(member, facts, **kwargs)
        return services.start_review(claim_id=claim.pk, actor=agency).pk

    made["submitted"] = _submit(
        members[0], _hospital(_stay("2022-03-10", "6200")), seed=1, invoices=["32040022031001"]
    )
    # The same invoice number as the first claim: the reviewer sees the signal (C6).
    made["in_review"] = Claim.objects.get(
        pk=reviewed(
            members[1],
            _hospital(_stay("2022-03-12", "5800")),
            seed=2,
            invoices=["32040022031001"],
        )
    )
    made["returned"] = services.return_claim(
        claim_id=reviewed(members[2], _hospital(_stay("2022-04-06", "9000", days=12)), seed=3),
        actor=agency,
        reason="发票照片不清晰，请重新拍摄住院发票并补充出院小结第二页",
    )
    made["rejected"] = services.reject(
        claim_id=reviewed(members[3], _hospital(_stay("2022-04-20", "800", days=3)), seed=4),
        actor=agency,
        reason="本次住院医保结算后个人自付800元，未达到1000元起付标准",
    )
    # Submitted by the clerk; approved after the payout below, so it waits for the next one.
    to_approve = reviewed(
        members[4], _hospital(_stay("2022-05-08", "12000", days=9)), seed=5, actor=clerk
    )
    illness = {
        "year": YEAR,
        "benefit": "critical_illness",
        "illness": "恶性肿瘤",
        "diagnosed_on": "2022-06-15",
        "first_diagnosed_on": "2022-06-15",
        "hospital": {"in_changzhou": True, "grade": 3},
    }
    # 5,000: approved by the agency, waiting for the district's second approval (C3).
    made["awaiting_second"] = services.approve(
        claim_id=reviewed(members[5], illness, seed=6), actor=agency
    )
    # Two stays of one member, claimed one after the other (B-H4).
    for key, (day, self_pay) in (
        ("first_stay", ("2022-02-14", "3000")),
        ("second_stay", ("2022-07-04", "4000")),
    ):
        made[key] = services.approve(
            claim_id=reviewed(members[6], _hospital(_stay(day, self_pay)), seed=7), actor=agency
        )
    injury = {
        "year": YEAR,
        "benefit": "work_injury",
        "injured_on": "2022-05-20",
        "grade": 8,
        "certificate_level": "city",
    }
    made["work_injury"] = services.approve(
        claim_id=reviewed(members[7], injury, seed=8, actor=clerk), actor=agency
    )
    _pay_and_recover(made, agency)
    made["approved"] = services.approve(claim_id=to_approve, actor=agency)
    _date_back(made.values())
    return made


def _pay_and_recover(made: dict[str, Claim], agency: User) -> None:
    """Finance pays the claims approved so far through a payout batch the simulated bank
    answers (SPEC C4), and a drunk-driving finding after the work injury's payout opens a
    recovery by repayment (B-X3)."""
    finance = User.objects.get(username="finance")
    batch = payouts.create_payout_batch(actor=finance)
    if batch is None:
        return
    answer = answer_payout_file(payouts.request_content(batch))
    payouts.apply_payout_result(content=answer, actor=finance)
    recovery.open_recovery(
        claim_id=made["work_injury"].pk,
        actor=agency,
        exclusions=["drunk_driving"],
        reason="经核实受伤时系酒后驾驶，属除外责任",
        method=RecoveryMethod.REPAYMENT,
    )


def _date_back(claims) -> None:
    """Each claim submitted three days after its event at ten in the morning (Shanghai),
    and each later change of it a few days after the one before."""
    now = timezone.now()
    for claim in claims:
        submitted = datetime.datetime.combine(
            claim.event_on + datetime.timedelta(days=3), datetime.time(10), tzinfo=SCHEME_ZONE
        )
        events = list(ClaimEvent.objects.filter(claim=claim).order_by("at", "id"))
        decided = None
        for step, event in enumerate(events):
            at = min(submitted + datetime.timedelta(days=step * (2 + claim.pk % 5)), now)
            ClaimEvent.objects.filter(pk=event.pk).update(at=at)
            if event.to_state in (ClaimState.APPROVED, ClaimState.REJECTED):
                decided = at
        Claim.objects.filter(pk=claim.pk).update(
            submitted_at=submitted, decided_at=decided if claim.decided_at else None
        )
        ClaimDocument.objects.filter(claim=claim).update(uploaded_at=submitted)
