"""SPEC P1–P4: policy files validated on load, in the database after migrate, versioned."""

import shutil

import pytest

from huzhu.audit.models import AuditEvent
from huzhu.policy import services
from huzhu.policy.document import (
    PolicyError,
    diff_documents,
    read_policy_file,
    shipped_policy_files,
)
from huzhu.policy.models import PolicyVersion
from huzhu.policy.selectors import current_policies, current_version


@pytest.fixture
def policy_dir(tmp_path, monkeypatch):
    for path in shipped_policy_files():
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(shipped_policy_files()[0].parent / "critical-illnesses.csv", tmp_path)
    monkeypatch.setattr(services, "shipped_policy_files", lambda: sorted(tmp_path.glob("*.toml")))
    return tmp_path


def edit(path, old, new):
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.mark.parametrize(
    "old, new, words",
    [
        ('fee = "30.00"', 'fee = "-30"', ["2022.toml", "fee", "positive"]),
        (
            '{ from = "5000", amount = "1000" }',
            '{ from = "5000", amount = "abc" }',
            ["2022.toml", "hospitalization.tiers[1].amount"],
        ),
        (
            '{ from = "10000", amount = "1500" }',
            '{ from = "4000", amount = "1500" }',
            ["hospitalization.tiers[2]", "rise"],
        ),
        ('unsettled_rate = "0.34"', 'unsettled_rate = "34"', ["hospitalization.unsettled_rate"]),
        (
            '{ grades = [9, 10], amount = "300" }',
            '{ grades = [9], amount = "300" }',
            ["work_injury.amounts", "10"],
        ),
        (
            'min_certificate_level = "city"',
            'min_certificate_level = "town"',
            ["work_injury.min_certificate_level"],
        ),
        ("[coverage]", "[coverage]\ncolour = 1\n[other]", ["unknown key"]),
        ("end = 2022-12-31", "end = 2021-12-31", ["coverage", "before"]),
        (
            'illnesses = "critical-illnesses.csv"',
            'illnesses = "missing.csv"',
            ["critical_illness.illnesses", "missing.csv"],
        ),
        ("year = 2022", "year = 2022\nyear = 2023", ["2022.toml"]),
    ],
)
def test_p1_a_broken_policy_file_is_refused_naming_file_and_key(policy_dir, old, new, words):
    path = policy_dir / "2022.toml"
    edit(path, old, new)
    with pytest.raises(PolicyError) as error:
        read_policy_file(path)
    for word in words:
        assert word in str(error.value)


@pytest.mark.django_db
def test_p1_policies_are_in_the_database_after_migrate():
    assert {v.year for v in PolicyVersion.objects.all()} >= {2021, 2022}
    policies = current_policies()
    assert policies[2022].fee == 30 and policies[2022].has_benefits
    assert not policies[2021].has_benefits


@pytest.mark.django_db
def test_p2_p3_enrollment_windows():
    p2022 = current_policies()[2022]
    assert {c: (str(w.start), str(w.end)) for c, w in p2022.windows.items()} == {
        c: ("2021-10-11", "2021-12-25") for c in ("online", "paper", "renewal")
    }
    p2021 = current_policies()[2021]
    assert (str(p2021.windows["online"].start), str(p2021.windows["online"].end)) == (
        "2020-09-29",
        "2020-12-18",
    )
    assert str(p2021.windows["paper"].end) == "2020-12-11"
    assert str(p2021.online_after_paper_until) == "2020-12-31"


@pytest.mark.django_db
def test_p1_sync_is_idempotent_and_a_changed_file_becomes_a_new_version(policy_dir):
    assert services.sync_shipped_policies() == []
    before = current_version(2022)
    edit(
        policy_dir / "2022.toml",
        '{ from = "100000", amount = "20000" }',
        '{ from = "100000", amount = "25000" }',
    )
    (created,) = services.sync_shipped_policies()
    assert (created.year, created.version) == (2022, before.version + 1)
    before.refresh_from_db()
    assert before.document["hospitalization"]["tiers"][-1]["amount"] == "20000"
    assert current_policies()[2022].hospitalization.tiers[-1].amount == 25000
    assert AuditEvent.objects.filter(action="policy.load", object_id=str(created.pk)).exists()
    assert services.sync_shipped_policies() == []


@pytest.mark.django_db
def test_p1_a_change_to_the_illness_list_is_a_new_version(policy_dir):
    with open(policy_dir / "critical-illnesses.csv", "a", encoding="utf-8") as handle:
        handle.write("new_illness,新增疾病,\n")
    (created,) = services.sync_shipped_policies()
    assert created.year == 2022
    assert current_policies()[2022].critical_illness.find("新增疾病") is not None


def test_p4_differences_between_two_policies():
    old, _ = read_policy_file(shipped_policy_files()[1])
    new = {**old, "fee": "35.00", "coverage": {**old["coverage"], "end": "2022-12-30"}}
    assert diff_documents(old, new) == [
        ("coverage.end", "2022-12-31", "2022-12-30"),
        ("fee", "30.00", "35.00"),
    ]
    tiers = [dict(t) for t in old["hospitalization"]["tiers"]]
    tiers[0]["amount"] = "600"
    changed = {**old, "hospitalization": {**old["hospitalization"], "tiers": tiers}}
    assert diff_documents(old, changed) == [("hospitalization.tiers[0].amount", "500", "600")]


@pytest.mark.django_db
def test_current_policies_cost_one_query_once_parsed(django_assert_num_queries):
    current_policies()
    with django_assert_num_queries(1):  # which versions are the latest; parsed ones are kept
        first = current_policies()
    first.clear()  # a caller's copy: changing it changes no other caller's
    assert current_policies()
