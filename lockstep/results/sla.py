"""The first-touch SLA, computed in one place.

`SlaClock.deadline(created_at, hours)` is *the* SLA function: a lead's deadline is its
creation time plus the program's SLA hours (4 without a program) of business time (time
zone, days, hours, holidays) — the calendar of the lead's rep's team, which inherits the
organization's unless the team or one of its regions sets its own (`RepClocks`). Every
path that sets a deadline uses it: imports and the API (`results.imports`), a first
touch, assigning unmatched leads to a program and changing a program's SLA hours
(`results.services`).

Imports compute it for a million rows, so the clock remembers its answers: per exact
value, and per hour of creation time — within an hour that lies wholly inside business
hours (and whose deadlines do too) the deadline moves minute for minute with the creation
time; within an hour wholly outside business hours it does not move at all. Any other hour
(opening, closing, a daylight-saving change) is computed value by value."""

from __future__ import annotations

import datetime as dt

from lockstep.orgs.models import Organization
from lockstep.results.business_hours import Calendar, RepCalendars

DEFAULT_SLA_HOURS = 4
HOUR = dt.timedelta(hours=1)
CACHE_LIMIT = 20_000


class SlaClock:
    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._exact: dict[tuple[dt.datetime, int], dt.datetime | None] = {}
        self._hours: dict[tuple[dt.datetime, int], tuple[str, dt.datetime | None]] = {}

    def deadline(self, created_at: dt.datetime, hours: int) -> dt.datetime | None:
        """When the first touch is due (UTC), or None if the organization has no
        business days at all."""
        key = (created_at, hours)
        if key in self._exact:
            return self._exact[key]
        due = self._by_hour(created_at, hours)
        if len(self._exact) >= CACHE_LIMIT:
            self._exact.clear()
        self._exact[key] = due
        return due

    def _by_hour(self, created_at: dt.datetime, hours: int) -> dt.datetime | None:
        start = created_at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        key = (start, hours)
        shape = self._hours.get(key)
        if shape is None:
            shape = self._shape(start, hours)
            if len(self._hours) >= CACHE_LIMIT:
                self._hours.clear()
            self._hours[key] = shape
        kind, base = shape
        if base is None:
            return None
        if kind == "fixed":
            return base
        if kind == "linear":
            return base + (created_at - start)
        return self._compute(created_at, hours)

    def _shape(self, start: dt.datetime, hours: int) -> tuple[str, dt.datetime | None]:
        """How the deadline moves within the hour from `start`."""
        first = self._compute(start, hours)
        if first is None:
            return "fixed", None
        open_time = self.calendar.between(start, start + HOUR)
        if open_time == dt.timedelta(0):
            return "fixed", first  # closed all hour: the clock starts at the next opening
        last = self._compute(start + HOUR, hours)
        if (
            open_time == HOUR
            and last is not None
            and last - first == HOUR
            and self.calendar.between(first, last) == HOUR
        ):
            return "linear", first
        return "exact", first

    def _compute(self, created_at: dt.datetime, hours: int) -> dt.datetime | None:
        try:
            return self.calendar.add(created_at, dt.timedelta(hours=hours))
        except ValueError:  # no business days
            return None

    def business_seconds(self, start: dt.datetime, end: dt.datetime) -> int:
        """Business seconds from `start` to `end` (0 if end is not later)."""
        return int(self.calendar.between(start, end).total_seconds())


def sla_deadline(
    *, created_at: dt.datetime, hours: int, calendar: Calendar, clock: SlaClock | None = None
) -> dt.datetime | None:
    """The deadline of one lead (see the module's docstring)."""
    return (clock or SlaClock(calendar)).deadline(created_at, hours)


class RepClocks:
    """One `SlaClock` per distinct business calendar, picked by a lead's rep (their team's
    time zone and hours, `business_hours.RepCalendars`): leads of reps who share a calendar
    share a clock and its memory."""

    def __init__(self, org: Organization) -> None:
        self.calendars = RepCalendars(org)
        self._clocks: dict[Calendar, SlaClock] = {}

    def for_rep(self, user_id: int | None) -> SlaClock:
        calendar = self.calendars.for_rep(user_id)
        clock = self._clocks.get(calendar)
        if clock is None:
            clock = self._clocks[calendar] = SlaClock(calendar)
        return clock
