"""Paid members, their documents and claims, for the claim tests."""

import datetime
import io

from PIL import Image

from huzhu.claims import rules, services
from huzhu.enrollment import services as enrollment_services
from huzhu.files import rules as file_rules
from huzhu.files.services import store_generated
from tests.payments.helpers import signed


def paid_member(unit, name="赵六", year=2022):
    enrollment = signed(unit, name=name, year=year)
    enrollment_services.mark_paid(enrollment=enrollment, actor=None)
    enrollment.refresh_from_db()
    return enrollment.member


def photo_bytes(colour=(200, 180, 160), size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def documents(member, benefit="hospitalization", *, skip=()):
    """One photo per document the benefit needs (SPEC C1), stored under the member's unit."""
    found = []
    for index, kind in enumerate(rules.required_documents(benefit)):
        if kind in skip:
            continue
        stored = store_generated(
            actor=None,
            content=photo_bytes(colour=(index * 20 % 255, 100, 150)),
            name=f"{kind}.jpg",
            unit_path=member.unit_path,
            kind=file_rules.JPEG,
        )
        found.append((kind, stored.file))
    return found


def stay(admitted_on="2022-03-01", self_pay="6200", **fields):
    return {
        "admitted_on": admitted_on,
        "cause": "illness",
        "insurance_scope": "jiangsu",
        "settled_self_pay": self_pay,
        **fields,
    }


def hospital_facts(*stays, year=2022):
    return {"year": year, "benefit": "hospitalization", "episodes": list(stays or [stay()])}


def illness_facts(diagnosed_on="2022-06-01", **fields):
    return {
        "year": 2022,
        "benefit": "critical_illness",
        "illness": "恶性肿瘤",
        "diagnosed_on": diagnosed_on,
        "first_diagnosed_on": diagnosed_on,
        "hospital": {"in_changzhou": True, "grade": 3},
        **fields,
    }


def injury_facts(grade=3, injured_on="2022-05-01"):
    return {
        "year": 2022,
        "benefit": "work_injury",
        "injured_on": injured_on,
        "grade": grade,
        "certificate_level": "city",
    }


def submit(member, facts=None, *, actor=None, invoices=(), discharged=(), **kwargs):
    facts = facts or hospital_facts()
    details = []
    if facts["benefit"] == "hospitalization":
        for index, _episode in enumerate(facts["episodes"]):
            details.append(
                services.StayDetails(
                    discharged_on=discharged[index] if index < len(discharged) else None,
                    invoice_number=invoices[index] if index < len(invoices) else "",
                )
            )
    return services.submit_claim(
        member=member,
        facts=facts,
        documents=documents(member, facts["benefit"]),
        stays=details,
        actor=actor,
        **kwargs,
    )


def approved(member, facts, reviewer, second=None):
    """A claim submitted, reviewed and approved (a second approval when it needs one)."""
    claim = submit(member, facts)
    services.start_review(claim_id=claim.pk, actor=reviewer)
    claim = services.approve(claim_id=claim.pk, actor=reviewer)
    if claim.state == "awaiting_second":
        claim = services.second_approve(claim_id=claim.pk, actor=second)
    return claim


DAY = datetime.date
