"""Business-time arithmetic around weekends, holidays and daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lockstep.results.business_hours import Calendar

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
CAL = Calendar(
    tz=BERLIN,
    opens=dt.time(9),
    closes=dt.time(17),
    days=frozenset(range(5)),
    holidays=frozenset({dt.date(2026, 12, 25), dt.date(2026, 12, 24)}),
)
H = dt.timedelta(hours=1)


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_within_one_day() -> None:
    assert CAL.between(at(2026, 11, 30, 10), at(2026, 11, 30, 12, 30)) == 2.5 * H


def test_friday_evening_to_monday_morning_is_one_hour() -> None:
    assert CAL.between(at(2026, 11, 27, 16), at(2026, 11, 30, 10)) == 2 * H
    assert CAL.add(at(2026, 11, 27, 16), 4 * H) == at(2026, 11, 30, 12).astimezone(dt.UTC)


def test_holidays_are_closed() -> None:
    # Wed 23 Dec 16:00 + 4h: 1h on the 23rd, 24th and 25th are holidays, weekend, Mon 28th
    assert CAL.add(at(2026, 12, 23, 16), 4 * H) == at(2026, 12, 28, 12).astimezone(dt.UTC)


def test_spring_forward_day_is_still_eight_business_hours() -> None:
    # 2027-03-29 is a Monday after the clocks went forward on Sunday 28 March
    assert CAL.between(at(2027, 3, 26, 9), at(2027, 3, 29, 17)) == 16 * H
    assert CAL.add(at(2027, 3, 26, 16), 2 * H) == at(2027, 3, 29, 10).astimezone(dt.UTC)


def test_before_opening_counts_from_opening() -> None:
    assert CAL.add(at(2026, 11, 30, 6), 1 * H) == at(2026, 11, 30, 10).astimezone(dt.UTC)


def test_end_before_start_is_zero() -> None:
    assert CAL.between(at(2026, 11, 30, 12), at(2026, 11, 30, 10)) == dt.timedelta(0)


moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001 — hypothesis takes naive bounds
    max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)  # fmt: skip
durations = st.integers(min_value=0, max_value=60 * 60 * 200).map(lambda s: dt.timedelta(seconds=s))


@settings(max_examples=150, deadline=None)
@given(start=moments, amount=durations)
def test_adding_then_measuring_gives_back_the_amount(
    start: dt.datetime, amount: dt.timedelta
) -> None:
    assert CAL.between(start, CAL.add(start, amount)) == amount


@settings(max_examples=150, deadline=None)
@given(a=moments, b=moments, c=moments)
def test_business_time_adds_up(a: dt.datetime, b: dt.datetime, c: dt.datetime) -> None:
    a, b, c = sorted([a, b, c])
    assert CAL.between(a, b) + CAL.between(b, c) == CAL.between(a, c)
    assert CAL.between(a, c) <= c - a


@settings(max_examples=100, deadline=None)
@given(start=moments, amount=durations)
def test_the_deadline_is_never_in_closed_hours_when_amount_is_positive(
    start: dt.datetime, amount: dt.timedelta
) -> None:
    if amount <= dt.timedelta(0):
        return
    local = CAL.add(start, amount).astimezone(BERLIN)
    assert local.weekday() < 5 and local.date() not in CAL.holidays
    assert dt.time(9) < local.time() <= dt.time(17) or local.time() == dt.time(17)
