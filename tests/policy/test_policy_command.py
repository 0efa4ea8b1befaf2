"""SPEC P4 on the command line: show, compare, and draft a new year from the last one."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huzhu.policy.document import parse_policy, read_policy_file


def run(*args) -> str:
    out = io.StringIO()
    call_command("policy", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_show_prints_the_current_version():
    document = json.loads(run("show", "2022"))
    assert document["year"] == 2022 and document["fee"] == "30.00"


@pytest.mark.django_db
def test_p4_diff_lists_changed_settings_in_words():
    text = run("diff", "2021", "2022")
    assert (
        "基本信息 · 保障期限：2021年1月1日至2021年12月31日 → 2022年1月1日至2022年12月31日（修改）"
        in text
    )
    assert "住院医疗费用补助 · 补助档次：— → 共 12 项：1000 元起：500 元；" in text
    assert "enrollment." not in text


@pytest.mark.django_db
def test_p4_diff_raw_lists_key_paths():
    text = run("diff", "2021", "2022", "--raw")
    assert 'coverage.start: "2021-01-01" → "2022-01-01"' in text


@pytest.mark.django_db
def test_unknown_version_exits_2():
    with pytest.raises(CommandError) as error:
        run("show", "1999")
    assert error.value.returncode == 2


@pytest.mark.django_db
def test_p4_a_draft_for_a_new_year_moves_every_date_and_stays_valid(tmp_path):
    out = tmp_path / "2023.toml"
    run("draft", "--from", "2022", "--year", "2023", "--out", str(out))
    document, _digest = read_policy_file(out)
    policy = parse_policy(document, out.name)
    assert policy.year == 2023
    assert (str(policy.coverage.start), str(policy.coverage.end)) == ("2023-01-01", "2023-12-31")
    assert str(policy.windows["online"].start) == "2022-10-11"
    assert policy.title == "2023年武进区在职职工医疗互助保障"
    assert policy.hospitalization.tiers[-1].amount == 20000
    assert out.read_text("utf-8").startswith("# DRAFT for 2023")
    with pytest.raises(CommandError):
        run("draft", "--from", "2022", "--year", "2023", "--out", str(out))
