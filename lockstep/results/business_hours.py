"""Business-time arithmetic in an organization's time zone, days, hours and holidays.

Daylight-saving changes are handled by building each day's window in local time with the
zone's rules: a business day is always its local opening to closing hours, whatever the
UTC offset that day."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from lockstep.orgs.models import Organization


@dataclass(frozen=True)
class Calendar:
    tz: zoneinfo.ZoneInfo
    opens: dt.time
    closes: dt.time
    days: frozenset[int]  # weekday numbers, Monday = 0
    holidays: frozenset[dt.date]

    @classmethod
    def for_org(cls, org: Organization) -> Calendar:
        holidays = set()
        for value in org.holidays or []:
            try:
                holidays.add(dt.date.fromisoformat(str(value)))
            except ValueError:
                continue
        return cls(
            tz=org.tzinfo,
            opens=org.business_day_start,
            closes=org.business_day_end,
            days=frozenset(org.business_days or []),
            holidays=frozenset(holidays),
        )

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The business hours of a local date, as aware datetimes, or None if closed."""
        if day.weekday() not in self.days or day in self.holidays:
            return None
        start = dt.datetime.combine(day, self.opens, tzinfo=self.tz)
        end = dt.datetime.combine(day, self.closes, tzinfo=self.tz)
        return start, end

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Business time from start to end (zero if end is not after start)."""
        if end <= start:
            return dt.timedelta(0)
        total = dt.timedelta(0)
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            window = self.window(day)
            if window is not None:
                lo, hi = max(window[0], start), min(window[1], end)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def add(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The moment `amount` of business time after `start`."""
        if not self.days:
            raise ValueError("the organization has no business days")
        remaining = amount
        day = start.astimezone(self.tz).date()
        while True:
            window = self.window(day)
            if window is not None:
                lo = max(window[0], start)
                if window[1] > lo:
                    available = window[1] - lo
                    if remaining <= available:
                        return (lo + remaining).astimezone(dt.UTC)
                    remaining -= available
            day += dt.timedelta(days=1)
