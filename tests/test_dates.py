"""Scheme dates are Asia/Shanghai dates whatever zone the server runs in: at 17:00 UTC on
New Year's Eve it is already 2023 in Shanghai, and still 09:00 on 31 December in Los
Angeles."""

import datetime
import time

import pytest
from django.utils import timezone

from huzhu.dates import scheme_date, scheme_today
from huzhu.members.rules import InvalidValue, clean_id_number, id_check_char

NEW_YEAR_IN_SHANGHAI = datetime.datetime(2022, 12, 31, 17, 0, tzinfo=datetime.UTC)


@pytest.fixture
def server_in_los_angeles(monkeypatch, settings):
    """The process zone (what date.today() reads) and Django's zone both far from Shanghai,
    and the clock stopped at NEW_YEAR_IN_SHANGHAI."""
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    settings.TIME_ZONE = "America/Los_Angeles"
    monkeypatch.setattr(timezone, "now", lambda: NEW_YEAR_IN_SHANGHAI)
    yield
    monkeypatch.undo()
    time.tzset()  # the process zone as it was


def test_the_server_zone_is_really_elsewhere(server_in_los_angeles):
    # What the helper replaces: both the process and Django's zone still say 2022 here.
    assert timezone.localdate() == datetime.date(2022, 12, 31)
    assert time.localtime(NEW_YEAR_IN_SHANGHAI.timestamp()).tm_year == 2022


def test_scheme_today_is_the_shanghai_date(server_in_los_angeles):
    assert scheme_today() == datetime.date(2023, 1, 1)
    assert scheme_date(NEW_YEAR_IN_SHANGHAI) == datetime.date(2023, 1, 1)


def test_m1_a_person_born_today_in_shanghai_is_not_born_in_the_future(server_in_los_angeles):
    first17 = "32041220230101001"
    id_number = first17 + id_check_char(first17)
    assert clean_id_number(id_number) == id_number
    tomorrow = "32041220230102001"
    with pytest.raises(InvalidValue):
        clean_id_number(tomorrow + id_check_char(tomorrow))
