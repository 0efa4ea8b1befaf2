import pytest

from huzhu.jobs import kinds

TEST_KINDS = {
    "test.steps": "tests.jobs.steps.stepping",
    "test.broken": "tests.jobs.steps.broken",
    "test.refusing": "tests.jobs.steps.refusing",
    "test.progress_inside_transaction": "tests.jobs.steps.progress_inside_transaction",
    "test.interrupted": "tests.jobs.steps.interrupted",
    "test.fails_midway": "tests.jobs.steps.fails_midway",
    "test.empty": "tests.jobs.steps.empty",
    "test.more_than_counted": "tests.jobs.steps.more_than_counted",
}


@pytest.fixture
def test_kinds(monkeypatch):
    for kind, path in TEST_KINDS.items():
        monkeypatch.setitem(kinds.RUNNERS, kind, path)
    return TEST_KINDS
