"""SPEC X4: no row is ever lost — for generated rosters with random bad cells, blank rows,
序号-only rows and title rows, imported + already enrolled + rejected = the data rows."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huzhu.rosters.importer import import_roster
from tests.rosters import files

COLUMNS = files.HEADER
TEXT = st.text(
    alphabet=st.sampled_from("张王李湖塘镇0123456789Xx -·（）()是否abc"), min_size=0, max_size=20
)

good = st.builds(lambda n: ("data", files.person(n)), st.integers(1, 40))


@st.composite
def bad(draw):
    row = files.person(draw(st.integers(1, 40)))
    column = draw(st.sampled_from(range(1, len(COLUMNS))))
    value = draw(st.one_of(TEXT, st.integers(0, 10**18)))
    row[column] = value
    return ("data", row)


blank = st.just(("skip", []))
numbered = st.builds(lambda n: ("skip", [str(n)]), st.integers(1, 999))
only_note = st.just(("data", ["", "", "", "", "", "", "", "", "待补"]))
titles = st.lists(st.sampled_from([files.TITLE, files.SUBTITLE, "附件4"]), max_size=3)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    titles=titles,
    rows=st.lists(st.one_of(good, bad(), blank, numbered, only_note), max_size=25),
    dry_run=st.booleans(),
    fmt=st.sampled_from(["xlsx", "csv"]),
)
def test_x4_every_data_row_ends_as_exactly_one_outcome(tree, titles, rows, dry_run, fmt):
    sheet = [[title] for title in titles] + [list(COLUMNS)] + [cells for _kind, cells in rows]
    sheet.append([files.NOTE])
    if fmt == "csv":
        content, name = files.csv_bytes(sheet), "r.csv"
    else:
        content, name = files.xlsx(sheet), "r.xlsx"
    result = import_roster(
        content=content,
        filename=name,
        password=None,
        year=2022,
        kind="new",
        signed_on=files.SIGNED_ON,
        unit=tree.hutang_union,
        actor=None,
        dry_run=dry_run,
        upload=None,
    )
    data_rows = sum(1 for kind, _cells in rows if kind == "data")
    assert result.imported + result.already_enrolled + result.rejected == data_rows
    assert result.rejected == len(result.rejected_rows)
    assert all(row.errors for row in result.rejected_rows)
    header_row = len(titles) + 1
    assert all(header_row < row.row <= header_row + len(rows) for row in result.rejected_rows)
