"""Filling in the two steps of a new claim through the pages, for the page tests."""

from django.core.files.uploadedfile import SimpleUploadedFile

from huzhu.claims import rules
from huzhu.portal.views import SESSION_KEY
from tests.claims.helpers import photo_bytes


def as_member(client, *members):
    session = client.session
    session[SESSION_KEY] = [m.pk for m in members]
    session.save()
    return client


def hospital_answers(admitted_on="2022-03-01", self_pay="6200", **extra):
    return {
        "action": "estimate",
        "year": "2022",
        "benefit": "hospitalization",
        "stay-TOTAL_FORMS": "1",
        "stay-INITIAL_FORMS": "0",
        "stay-MIN_NUM_FORMS": "1",
        "stay-MAX_NUM_FORMS": "20",
        "stay-0-admitted_on": admitted_on,
        "stay-0-discharged_on": "2022-03-10",
        "stay-0-hospital": "武进人民医院",
        "stay-0-invoice_number": "FP-20220310",
        "stay-0-cause": "illness",
        "stay-0-insurance_scope": "jiangsu",
        "stay-0-settled_self_pay": self_pay,
        "stay-0-unsettled_cost": "",
        "stay-0-traffic_total_cost": "",
        "stay-0-liability_percent": "100",
        **extra,
    }


def illness_answers(diagnosed_on="2022-06-01"):
    return {
        "action": "estimate",
        "year": "2022",
        "benefit": "critical_illness",
        "illness": "恶性肿瘤",
        "diagnosed_on": diagnosed_on,
        "hospital_in_changzhou": "yes",
        "hospital_grade": "3",
        "stay-TOTAL_FORMS": "1",
        "stay-INITIAL_FORMS": "0",
        "stay-MIN_NUM_FORMS": "1",
        "stay-MAX_NUM_FORMS": "20",
    }


def photo(name, colour=(120, 80, 40)):
    return SimpleUploadedFile(name, photo_bytes(colour=colour), content_type="image/jpeg")


def all_photos(benefit="hospitalization", *, skip=()):
    return {
        f"doc-{kind}": [photo(f"{kind}.jpg", colour=(index * 30 % 255, 90, 60))]
        for index, kind in enumerate(rules.required_documents(benefit))
        if kind not in skip
    }


def estimate(client, url, answers):
    response = client.post(url, answers)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def submit(client, url, token, files):
    return client.post(url, {"action": "submit", "answers": token, **files})
