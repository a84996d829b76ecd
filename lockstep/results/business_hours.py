"""Business-time arithmetic in an organization's time zone, days, hours and holidays.

Daylight-saving changes are handled by building each day's window in local time with the
zone's rules: a business day is always its local opening to closing hours, whatever the
UTC offset that day."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from lockstep.orgs.models import Membership, Organization, Team
from lockstep.orgs.selectors import TeamHours, hours_by_team, org_hours, team_hours


def _holidays(org: Organization) -> frozenset[dt.date]:
    days = set()
    for value in org.holidays or []:
        try:
            days.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            continue
    return frozenset(days)


@dataclass(frozen=True)
class Calendar:
    tz: zoneinfo.ZoneInfo
    opens: dt.time
    closes: dt.time
    days: frozenset[int]  # weekday numbers, Monday = 0
    holidays: frozenset[dt.date]

    @classmethod
    def for_org(cls, org: Organization) -> Calendar:
        return cls.for_hours(org, org_hours(org))

    @classmethod
    def for_hours(cls, org: Organization, hours: TeamHours) -> Calendar:
        """A team's clock (`orgs.selectors.TeamHours`) with the organization's holidays."""
        return cls(
            tz=hours.tzinfo,
            opens=hours.opens,
            closes=hours.closes,
            days=hours.days,
            holidays=_holidays(org),
        )

    @classmethod
    def for_team(cls, team: Team | None, org: Organization | None = None) -> Calendar:
        """The business calendar of a team: its own time zone and hours, else its nearest
        ancestor's, else the organization's (`orgs.selectors.team_hours`)."""
        owner = org if org is not None else team.org if team is not None else None
        if owner is None:
            raise ValueError("Calendar.for_team needs a team or an organization")
        return cls.for_hours(owner, team_hours(team, owner))

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


class RepCalendars:
    """Each rep's business calendar — their team's (`Calendar.for_team`) — for many leads
    at once: two queries per organization, and none per lead. A lead is timed by its rep's
    team; a lead with no rep, or a rep with no team, by the organization's calendar."""

    def __init__(self, org: Organization) -> None:
        self.org = org
        self.default = Calendar.for_org(org)
        self._by_hours: dict[TeamHours, Calendar] = {org_hours(org): self.default}
        self._by_user: dict[int, Calendar] = {}
        hours = hours_by_team(org)
        if any(h != org_hours(org) for h in hours.values()):
            people = Membership.objects.for_org(org).filter(team__isnull=False)
            for user_id, team_id in people.values_list("user_id", "team_id"):
                self._by_user[user_id] = self._calendar(hours[team_id])

    def _calendar(self, hours: TeamHours) -> Calendar:
        if hours not in self._by_hours:
            self._by_hours[hours] = Calendar.for_hours(self.org, hours)
        return self._by_hours[hours]

    def for_rep(self, user_id: int | None) -> Calendar:
        if user_id is None:
            return self.default
        return self._by_user.get(user_id, self.default)

    @property
    def uniform(self) -> bool:
        """Every lead is timed by the organization's calendar."""
        return not self._by_user
