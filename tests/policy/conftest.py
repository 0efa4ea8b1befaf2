import pytest

from huzhu.calcfront.answers import calculate_payload
from huzhu.policy.document import parse_policy, read_policy_file, shipped_policy_files


@pytest.fixture(scope="session")
def policies():
    parsed = {}
    for path in shipped_policy_files():
        document, _digest = read_policy_file(path)
        policy = parse_policy(document, path.name)
        parsed[policy.year] = policy
    return parsed


@pytest.fixture(scope="session")
def calc(policies):
    def run(case):
        return calculate_payload(case, policies)

    return run


def stay(admitted_on="2022-03-01", **fields):
    return {"admitted_on": admitted_on, **fields}


def hospital(*episodes, already_paid="0", year=2022):
    return {
        "year": year,
        "benefit": "hospitalization",
        "already_paid": already_paid,
        "episodes": list(episodes),
    }
