"""Benchmark of the portal pages: CPU milliseconds per GET of /m/calc/ (a page opened), per
POST (one stay, and three stays, estimated; sent urlencoded as a browser sends a form) and
per GET of /m/ signed in as a member, in process through Django's test client, every
middleware included, on a fresh SQLite database. Run on demand:

    .venv/bin/python benchmarks/calc_page_bench.py [ROOT]

ROOT is the source tree to measure (default: this one), so that an older commit checked out
elsewhere can be measured with the same script. Not part of the test suite.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

POST = {
    "year": "2022",
    "benefit": "hospitalization",
    "stay-TOTAL_FORMS": "1",
    "stay-INITIAL_FORMS": "1",
    "stay-MIN_NUM_FORMS": "1",
    "stay-MAX_NUM_FORMS": "20",
    "stay-0-admitted_on": "2022-03-01",
    "stay-0-cause": "illness",
    "stay-0-insurance_scope": "jiangsu",
    "stay-0-settled_self_pay": "12000",
    "stay-0-liability_percent": "100",
}


def three_stays() -> dict:
    data = {**POST, "stay-TOTAL_FORMS": "3"}
    for index, month in ((1, "05"), (2, "07")):
        for key in ("cause", "insurance_scope", "settled_self_pay", "liability_percent"):
            data[f"stay-{index}-{key}"] = POST[f"stay-0-{key}"]
        data[f"stay-{index}-admitted_on"] = f"2022-{month}-01"
    return data


def sign_in_member(client) -> None:
    from huzhu.members.rules import id_check_char
    from huzhu.members.services import MemberInput, create_member
    from huzhu.org.models import UnitKind
    from huzhu.org.services import create_unit, district

    town = create_unit(actor=None, name="湖塘镇", kind=UnitKind.ORGANIZING, parent=district())
    union = create_unit(actor=None, name="甲公司工会", kind=UnitKind.GRASSROOTS, parent=town)
    first17 = "32041219850615001"
    member = create_member(
        actor=None,
        unit=union,
        data=MemberInput(
            name="张三",
            id_number=first17 + id_check_char(first17),
            phone="13812345678",
            union_card="6231660000000000001",
        ),
    )
    session = client.session
    session["member_ids"] = [member.pk]
    session.save()


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    sys.path.insert(0, str(root))
    os.environ["HUZHU_DATA_DIR"] = tempfile.mkdtemp(prefix="huzhu-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "huzhu.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from urllib.parse import urlencode

    client = Client()
    member = Client()
    sign_in_member(member)
    form = "application/x-www-form-urlencoded"
    one, three = urlencode(POST), urlencode(three_stays())
    for name, call in (
        ("GET /m/calc/", lambda: client.get("/m/calc/")),
        ("POST /m/calc/ (one stay)", lambda: client.post("/m/calc/", one, content_type=form)),
        ("POST /m/calc/ (3 stays)", lambda: client.post("/m/calc/", three, content_type=form)),
        ("GET /m/ (a member)", lambda: member.get("/m/")),
    ):
        for _ in range(20):
            assert call().status_code == 200
        best = float("inf")
        for _ in range(5):
            started = time.process_time()
            for _ in range(100):
                call()
            best = min(best, (time.process_time() - started) * 10)
        response = call()
        assert response.status_code == 200
        print(f"{name:<26} {best:5.1f} ms CPU per request   {len(response.content):,} bytes")


if __name__ == "__main__":
    main()
