import csv
from importlib import resources

import pytest

from huzhu.org.rules import TargetFileError, completion_rate, parse_target_table


def notice_rows() -> list[list[str]]:
    text = resources.files("huzhu").joinpath("data/targets-2022.csv").read_text("utf-8")
    return list(csv.reader(text.splitlines()))


def test_t4_rate_is_rounded_half_up_to_two_decimals():
    assert completion_rate(5485, 7000) == "78.36%"  # 78.357… rounds up
    assert completion_rate(1, 8) == "12.50%"  # exact
    assert completion_rate(1, 800) == "0.13%"  # 0.125 rounds half up, not to even


def test_t4_rate_is_empty_without_a_target():
    assert completion_rate(10538, None) == ""
    assert completion_rate(5, 0) == ""


def test_t4_every_printed_rate_of_the_notice_is_reproduced():
    rows = notice_rows()
    header = rows[0]
    for row in rows[1:-1]:
        record = dict(zip(header, row, strict=True))
        target = int(record["2021年任务数"]) if record["2021年任务数"] else None
        assert completion_rate(int(record["2021年完成数"]), target) == record["完成率%"], row


def test_t5_parses_the_notice_table():
    parsed = parse_target_table(notice_rows())
    assert parsed.year == 2022
    assert len(parsed.rows) == 29
    hutang = next(r for r in parsed.rows if r.unit_name == "湖塘镇")
    assert (hutang.position, hutang.previous_target, hutang.previous_completed, hutang.target) == (
        9,
        6000,
        3829,
        6000,
    )
    others = next(r for r in parsed.rows if r.unit_name == "其他")
    assert others.previous_target is None and others.target is None
    assert others.previous_completed == 10538


def test_title_rows_above_the_header_and_full_width_digits_are_accepted():
    rows = [
        ["2022年互助保障目标任务清单"],
        ["序号", "所属单位", "2022年计划任务数"],
        ["１", "湖塘镇", "６,０００"],
    ]
    parsed = parse_target_table(rows)
    assert parsed.rows[0].target == 6000


def test_unknown_column_is_named():
    rows = notice_rows()
    rows[0] = [*rows[0], "备用"]
    with pytest.raises(TargetFileError) as error:
        parse_target_table(rows)
    assert any("备用" in e and "7" in e for e in error.value.errors)


def test_non_numeric_target_names_row_and_column():
    rows = notice_rows()
    rows[9][5] = "六千"  # 湖塘镇, file row 10
    with pytest.raises(TargetFileError) as error:
        parse_target_table(rows)
    assert error.value.errors == ["第 10 行“2022年计划任务数”列：“六千”不是整数。"]


def test_duplicate_unit_names_both_rows():
    rows = notice_rows()
    rows.insert(10, ["30", "湖塘镇", "1", "1", "", "1"])
    with pytest.raises(TargetFileError) as error:
        parse_target_table(rows)
    assert any("第 11 行" in e and "湖塘镇" in e and "第 10 行" in e for e in error.value.errors)


def test_total_row_must_match_the_sum():
    rows = notice_rows()
    rows[-1][5] = "82201"
    with pytest.raises(TargetFileError) as error:
        parse_target_table(rows)
    assert any("82201" in e and "82200" in e for e in error.value.errors)


def test_previous_year_columns_must_be_the_year_before():
    rows = notice_rows()
    rows[0][2] = "2019年任务数"
    with pytest.raises(TargetFileError) as error:
        parse_target_table(rows)
    assert any("2021" in e for e in error.value.errors)


@pytest.mark.parametrize(
    "header, shown",
    [
        (
            ["序号", "所属单位", "2021年任务数", "2021年完成数", "完成率%", "2022年计化任务数"],
            "2022",
        ),
        (["序号", "所属单位", "2023年计划任务"], "2023"),
    ],
)
def test_t5_a_mistyped_target_column_is_named_with_the_real_year(header, shown):
    # Before, the message showed a “{Y}年计划任务数” placeholder.
    with pytest.raises(TargetFileError) as error:
        parse_target_table([header, ["1", "湖塘镇", "1", "1", "", "1"]])
    assert f"缺少“{shown}年计划任务数”列。" in error.value.errors
    assert not any("{" in e for e in error.value.errors)


def test_t5_without_any_year_in_the_header_the_message_gives_an_example():
    with pytest.raises(TargetFileError) as error:
        parse_target_table(
            [["序号", "所属单位", "任务数"], ["1", "湖塘镇", "1"]], example_year=2026
        )
    assert any("2026年计划任务数" in e for e in error.value.errors)
