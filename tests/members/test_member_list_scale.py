"""The member list at district scale: keyset pages, indexed ranges, kept counts, and query
counts that do not grow with the members or the page (issue 7, "Pages whose cost grows
with the district")."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huzhu.members import selectors
from huzhu.members.models import Member
from huzhu.members.rules import MemberSearch, SearchKind, classify_search
from huzhu.members.selectors import member_count, member_count_drift, member_page, members_for
from huzhu.members.services import MemberError
from huzhu.org.models import Target, Unit
from huzhu.org.paths import Bytewise, prefix_end
from huzhu.org.services import deactivate_unit, move_unit
from tests.conftest import add_member, sign_in

ALL = MemberSearch(SearchKind.ALL)
NAMES = ["王五", "张三", "张三丰", "李四", "赵六", "钱七", "孙八", "周九"]


def add_many(unit, count, start=0):
    return [
        add_member(
            unit,
            name=NAMES[(start + i) % len(NAMES)],
            union_card=f"6231669{unit.pk:04d}{start + i:08d}",
        )
        for i in range(count)
    ]


def walk_forward(user, search):
    page = member_page(user=user, search=search)
    ids = [m.pk for m in page.members]
    pages = [page]
    while page.next_after is not None:
        page = member_page(user=user, search=search, after=page.next_after)
        ids += [m.pk for m in page.members]
        pages.append(page)
    return ids, pages


def test_a_prefix_ends_above_every_string_that_starts_with_it():
    assert prefix_end("/1/9/") == "/1/90"
    assert prefix_end("张") == chr(ord("张") + 1)
    assert prefix_end("张\U0010ffff") == chr(ord("张") + 1)
    assert prefix_end("\U0010ffff") is None
    assert prefix_end("\ud7ff") == "\ue000"  # no surrogate in a query
    with pytest.raises(ValueError):
        prefix_end("")


@pytest.mark.django_db
def test_the_pager_walks_the_scope_once_in_order_forward_and_back(tree, people, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 7)
    add_many(tree.hutang_union, 20)
    add_many(tree.hutang_union_b, 13, start=3)
    add_many(tree.niutang_union, 9)
    expected = list(
        members_for(user=people.hutang_admin)
        .order_by(Bytewise(F("unit_path")), "name", "id")
        .values_list("id", flat=True)
    )
    assert len(expected) == 34  # 33 added under 湖塘镇 and the persona 张三
    ids, pages = walk_forward(people.hutang_admin, ALL)
    assert ids == expected
    assert [len(p.members) for p in pages] == [7, 7, 7, 7, 6]
    assert pages[0].previous_before is None and all(p.previous_before for p in pages[1:])
    # Back from the last page, every page is the one seen going forward.
    page, back = pages[-1], []
    while page.previous_before is not None:
        page = member_page(user=people.hutang_admin, search=ALL, before=page.previous_before)
        back = [m.pk for m in page.members] + back
        assert page.next_after is not None
    assert back + [m.pk for m in pages[-1].members] == expected


@pytest.mark.django_db
def test_going_back_near_the_start_shows_the_whole_first_page(tree, people, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 5)
    add_many(tree.hutang_union, 12)
    first = member_page(user=people.hutang_admin, search=ALL)
    third_row = first.members[2].pk
    page = member_page(user=people.hutang_admin, search=ALL, before=third_row)
    assert [m.pk for m in page.members] == [m.pk for m in first.members]
    assert page.previous_before is None and page.next_after == first.next_after


@pytest.mark.django_db
def test_s1_a_cursor_outside_the_scope_shows_the_first_page(tree, people):
    add_many(tree.hutang_union, 3)
    first = member_page(user=people.hutang_admin, search=ALL)
    elsewhere = member_page(user=people.hutang_admin, search=ALL, after=people.other_member.pk)
    assert [m.pk for m in elsewhere.members] == [m.pk for m in first.members]
    jumped = member_page(user=people.hutang_admin, search=ALL, unit=tree.niutang_union.pk)
    assert [m.pk for m in jumped.members] == [m.pk for m in first.members]
    assert people.other_member.pk not in [m.pk for m in jumped.members]


@pytest.mark.django_db
def test_the_pager_jumps_to_the_first_member_of_a_union(tree, people):
    add_many(tree.hutang_union, 60)
    later = add_many(tree.hutang_union_b, 4)
    page = member_page(user=people.hutang_admin, search=ALL, unit=tree.hutang_union_b.pk)
    assert {m.pk for m in page.members} == {m.pk for m in later}
    assert page.previous_before == page.members[0].pk
    assert [u.pk for u in selectors.member_units(user=people.hutang_admin)] == sorted(
        [tree.hutang_union.pk, tree.hutang_union_b.pk],
        key=lambda pk: Unit.objects.get(pk=pk).path,
    )


@pytest.mark.django_db
def test_a_name_is_matched_from_its_first_character(tree, people):
    add_member(tree.hutang_union, name="张三丰", union_card="6231660000000000101")
    add_member(tree.hutang_union, name="李张", union_card="6231660000000000102")
    add_member(tree.niutang_union, name="张飞", union_card="6231660000000000103")
    names = [
        m.name for m in member_page(user=people.hutang_admin, search=classify_search("张")).members
    ]
    assert names == [
        "张三",
        "张三丰",
    ]  # in name order; 李张 does not start with 张, 张飞 is out of scope
    names = [
        m.name
        for m in member_page(user=people.hutang_admin, search=classify_search("张三")).members
    ]
    assert names == ["张三", "张三丰"]


@pytest.mark.django_db
def test_a_search_is_counted_only_as_far_as_its_page(tree, people, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    add_many(tree.hutang_union, 16)  # two of every name, and the persona 张三
    page = member_page(user=people.hutang_admin, search=classify_search("张"))
    assert (page.count, page.count_capped) == (4, True)
    last = member_page(
        user=people.hutang_admin, search=classify_search("张"), after=page.next_after
    )
    assert len(last.members) == 1 and (last.count, last.count_capped) == (4, True)
    page = member_page(user=people.hutang_admin, search=classify_search("王五"))
    assert (page.count, page.count_capped) == (2, False)
    # The whole list is counted, from the kept counts.
    page = member_page(user=people.hutang_admin, search=ALL)
    assert (page.count, page.count_capped) == (17, False)


@pytest.mark.django_db
def test_the_list_reads_ranges_and_only_the_shown_columns(tree, people):
    add_many(tree.hutang_union, 3)
    for search in (ALL, classify_search("张"), classify_search("1234")):
        with CaptureQueriesContext(connection) as queries:
            member_page(user=people.hutang_admin, search=search, after=people.member.pk)
        member_sql = [q["sql"] for q in queries.captured_queries if "members_member" in q["sql"]]
        assert member_sql
        for sql in member_sql:
            if search.kind != SearchKind.LAST_FOUR:  # an ending is not a range
                assert "LIKE" not in sql.upper()
            assert "_encrypted" not in sql and "_hash" not in sql
            assert "OFFSET" not in sql.upper()


@pytest.mark.django_db
@pytest.mark.parametrize("search", ["", "张"])
@pytest.mark.parametrize("cursor", ["first", "after", "before"])
def test_the_list_and_name_search_are_answered_from_an_index(
    tree, people, search, cursor, monkeypatch
):
    """The scope and the name prefix are index ranges in the list's order (no scan, no
    sort), and a deep page seeks to its cursor instead of reading the range from its start."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    add_many(tree.hutang_union, 40)
    found = classify_search(search)
    page = member_page(user=people.hutang_admin, search=found)
    for _ in range(2):
        page = member_page(user=people.hutang_admin, search=found, after=page.next_after)
    kwargs = {} if cursor == "first" else {cursor: page.members[0].pk}
    with CaptureQueriesContext(connection) as captured:
        page = member_page(user=people.hutang_admin, search=found, **kwargs)
    assert len(page.members) == 3
    (sql,) = [q["sql"] for q in captured.captured_queries if "LIMIT 4" in q["sql"]]
    index = "member_name_search" if search else "member_scope_list"
    with connection.cursor() as db:
        if connection.vendor == "postgresql":
            # A few rows make a scan cheapest; what matters is that the index can serve.
            db.execute("SET LOCAL enable_seqscan = off")
            db.execute("SET LOCAL enable_sort = off")
            db.execute(f"EXPLAIN {sql}")
        else:
            db.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = "\n".join(str(row) for row in db.fetchall())
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
    if connection.vendor == "sqlite" and not search and cursor != "first":
        # The seek: the row value is the index's lower (upper) bound.
        assert ")>(" in plan.replace(" ", "") or ")<(" in plan.replace(" ", ""), plan


def _counts_hold(tree, people):
    assert member_count_drift() == {}
    assert member_count(user=people.district_admin) == Member.objects.count()
    for user in (people.hutang_admin, people.niutang_admin, people.hutang_clerk):
        assert member_count(user=user) == members_for(user=user).count()


@pytest.mark.django_db
def test_kept_counts_equal_a_count_of_the_members_after_mixed_changes(tree, people):
    add_many(tree.hutang_union, 5)
    add_many(tree.niutang_union, 3)
    _counts_hold(tree, people)
    with pytest.raises(MemberError):  # a refused registration leaves the count alone
        add_member(tree.hutang_union, union_card="6231660000000000001")
    move_unit(actor=people.district_admin, unit=tree.hutang_union_b, parent=tree.niutang)
    tree.hutang_union_b.refresh_from_db()
    add_many(tree.hutang_union_b, 4)
    deactivate_unit(actor=people.district_admin, unit=tree.niutang_union)
    move_unit(actor=people.district_admin, unit=tree.hutang_union, parent=tree.niutang)
    tree.hutang_union.refresh_from_db()
    add_many(tree.hutang_union, 2, start=50)
    _counts_hold(tree, people)
    assert member_count(user=people.niutang_admin) == 1 + 3 + 4 + 1 + 5 + 2


@pytest.mark.django_db
def test_the_counts_command_finds_and_repairs_a_wrong_count(tree, people, capsys):
    add_many(tree.hutang_union, 4)
    call_command("member_counts", "--check")
    Unit.objects.filter(pk=tree.hutang_union.pk).update(member_count=99)
    with pytest.raises(CommandError) as failed:
        call_command("member_counts", "--check")
    assert failed.value.returncode == 1
    call_command("member_counts")
    assert "1" in capsys.readouterr().out
    _counts_hold(tree, people)
    call_command("member_counts", "--check")


# --- query counts --------------------------------------------------------------------


def _queries(client, name, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name), params or {})
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_member_list_queries_do_not_grow_with_members_or_page_depth(
    client, tree, people, django_assert_num_queries
):
    add_many(tree.hutang_union, 5)
    sign_in(client, people.hutang_admin)
    first = _queries(client, "console:members")
    search = _queries(client, "console:members", {"q": "张"})
    add_many(tree.hutang_union, 150, start=5)
    add_many(tree.hutang_union_b, 150, start=7)
    deep = Member.objects.filter(unit=tree.hutang_union_b).order_by("name", "id")[120]
    with django_assert_num_queries(first):
        client.get(reverse("console:members"))
    # A deep page costs one lookup of its cursor more than the first, at any depth.
    with django_assert_num_queries(first + 1):
        client.get(reverse("console:members"), {"after": deep.pk})
    with django_assert_num_queries(first + 1):
        client.get(reverse("console:members"), {"before": deep.pk})
    with django_assert_num_queries(first + 1):
        client.get(reverse("console:members"), {"unit": tree.hutang_union_b.pk})
    with django_assert_num_queries(search):
        client.get(reverse("console:members"), {"q": "张"})
    with django_assert_num_queries(search + 1):
        client.get(reverse("console:members"), {"q": "张", "after": deep.pk})


@pytest.mark.django_db
def test_dashboard_queries_do_not_grow_with_members_or_years(
    client, tree, people, django_assert_num_queries
):
    Target.objects.create(unit=tree.hutang, year=2022, target=600, imported_completed=500)
    sign_in(client, people.hutang_admin)
    before = _queries(client, "console:dashboard")
    add_many(tree.hutang_union, 40)
    for year in (2019, 2020, 2021, 2023):
        Target.objects.create(unit=tree.hutang, year=year, target=600, imported_completed=1)
        Target.objects.create(unit=tree.niutang, year=year, target=600, imported_completed=1)
    with django_assert_num_queries(before):
        response = client.get(reverse("console:dashboard"))
    assert response.context["member_count"] == 41
    with django_assert_num_queries(before):
        client.get(reverse("console:dashboard"), {"year": 2021})


@pytest.mark.django_db
def test_the_dashboard_defaults_to_the_latest_year_with_completed_counts(client, tree, people):
    Target.objects.create(unit=tree.hutang, year=2022, target=600, imported_completed=500)
    Target.objects.create(unit=tree.hutang, year=2023, target=700)
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:dashboard"))
    assert response.context["year"] == 2022
    assert response.context["total_completed"] == 500
    assert client.get(reverse("console:dashboard"), {"year": 2023}).context["year"] == 2023
    assert client.get(reverse("console:dashboard"), {"year": "x"}).context["year"] == 2023


@pytest.mark.django_db
def test_a_pager_link_that_is_not_an_id_shows_the_first_page(client, tree, people):
    sign_in(client, people.hutang_admin)
    for params in ({"after": "abc"}, {"before": "-1"}, {"unit": "9" * 40}, {"after": "１２"}):
        response = client.get(reverse("console:members"), params)
        assert response.status_code == 200
        assert "张三</a>" in response.content.decode()


@pytest.mark.django_db
def test_s1_the_pager_offers_only_unions_in_scope_and_links_back(client, tree, people):
    add_many(tree.hutang_union, 60)
    add_many(tree.hutang_union_b, 2)
    sign_in(client, people.hutang_admin)
    html = client.get(reverse("console:members")).content.decode()
    assert "跳到基层工会" in html
    assert f'<option value="{tree.hutang_union_b.pk}"' in html
    assert f'<option value="{tree.niutang_union.pk}"' not in html
    assert "第一页" not in html and 'rel="next"' in html
    html = client.get(reverse("console:members"), {"unit": tree.hutang_union_b.pk}).content
    page = html.decode()
    assert page.count("湖塘镇乙公司工会</td>") == 2
    assert "第一页" in page and 'rel="prev"' in page
    assert f'<option value="{tree.hutang_union_b.pk}" selected>' in page


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["\U0010ffff", "张\U0010ffff", "\ud7ff", "\U0010ffff张"])
def test_a_search_at_the_end_of_unicode_is_answered_not_a_500(client, tree, people, q):
    """No name holds these characters (members.rules), but a search may: the range's end is
    computed without overflowing the code points or landing on a surrogate."""
    sign_in(client, people.hutang_admin)
    response = client.get(reverse("console:members"), {"q": q})
    assert response.status_code == 200
    assert response.context["page"].members == []
