"""Speed-to-lead, rejections and targets against actuals — aggregated by the database.

The rules (docs/lockstep-score.md) live here once and are used by the results page, the
funnel's Executing and Delivering stages and the API:

- **A lead's first-touch SLA.** A touched lead is in time when its first touch is no later
  than its deadline. An untouched lead rejected in Lockstep is in time when the rejection
  came before the deadline (the rejection is the rep's answer). An untouched lead still
  inside its SLA is *pending*, not a miss; an untouched, unrejected new lead past its
  deadline is a miss. A lead rejected or marked working in the CRM without a recorded touch
  has no known answer time and is not counted either way.
- **Targets** are judged against the period so far (docs: "Delivering")."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.orgs.models import Membership, Organization
from lockstep.orgs.selectors import TeamTree
from lockstep.programs.models import (
    COUNT_METRICS,
    Program,
    Target,
    TargetMetric,
    TargetPeriod,
)
from lockstep.results.models import Lead, LeadStatus, LeadTouch, Opportunity, Outcome

# --- the first-touch SLA, one definition ----------------------------------------------------


def with_answer_time(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """Annotate `answered_at`: the first touch, or the rejection made in Lockstep."""
    rejected = ActivityEvent.objects.filter(
        verb=Verb.LEAD_REJECTED, object_type="lead", object_id=OuterRef("pk")
    ).order_by("occurred_at")
    rejected_at = Subquery(rejected.values("occurred_at")[:1], output_field=DateTimeField())
    return leads.annotate(answered_at=Coalesce("first_touch_at", rejected_at))


def counted_q(now: dt.datetime) -> Q:
    """Leads whose SLA can be judged at `now`: answered by then (touch or Lockstep
    rejection), or past the deadline without an answer — new and never answered, or (looking
    back at an earlier date) answered only later. Pending and unknown-answer leads are out."""
    answered = Q(answered_at__lte=now, sla_due_at__isnull=False)
    unanswered_then = Q(answered_at__gt=now) | Q(answered_at__isnull=True, status=LeadStatus.NEW)
    return answered | (Q(sla_due_at__lt=now) & unanswered_then)


IN_TIME = Q(answered_at__lte=F("sla_due_at"))
EXECUTING_SHARE = 0.9  # of a rep's counted leads answered in time


def median_seconds(leads: QuerySet[Lead]) -> int | None:
    """The median of first_touch_seconds with two small queries (no SQL median needed)."""
    touched = leads.filter(first_touch_seconds__isnull=False)
    count = touched.count()
    if not count:
        return None
    ordered = touched.order_by("first_touch_seconds").values_list("first_touch_seconds", flat=True)
    middle = [v or 0 for v in ordered[(count - 1) // 2 : count // 2 + 1]]
    return int(sum(middle) / len(middle))


def _sla_aggregates(now: dt.datetime) -> dict[str, Any]:
    counted = counted_q(now)
    return {
        "total": Count("id"),
        "touched": Count("id", filter=Q(first_touch_at__isnull=False)),
        "counted": Count("id", filter=counted),
        "within": Count("id", filter=counted & IN_TIME),
        "pending": Count(
            "id",
            filter=Q(answered_at__isnull=True, status=LeadStatus.NEW, sla_due_at__gte=now),
        ),
        "rejected": Count("id", filter=Q(status=LeadStatus.REJECTED)),
    }


def _shares(row: dict[str, Any]) -> dict[str, Any]:
    counted, total = row["counted"], row["total"]
    return {
        **row,
        "late": counted - row["within"],
        "within_share": round(100 * row["within"] / counted) if counted else None,
        "rejection_rate": round(100 * row["rejected"] / total) if total else None,
    }


def sla_summary(leads: QuerySet[Lead], now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    totals = with_answer_time(leads).aggregate(**_sla_aggregates(now))
    median = median_seconds(leads)
    return {**_shares(totals), "median_seconds": median}


def per_rep(leads: QuerySet[Lead], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Speed-to-lead per rep, in one grouped query (average rather than median per rep)."""
    now = now or timezone.now()
    rows = (
        with_answer_time(leads.filter(rep__isnull=False))
        .values("rep", "rep__first_name", "rep__last_name", "rep__email")
        .annotate(**_sla_aggregates(now), avg_seconds=Avg("first_touch_seconds"))
        .order_by("rep__last_name", "rep__first_name")
    )
    result = []
    for row in rows:
        name = f"{row['rep__first_name']} {row['rep__last_name']}".strip() or row["rep__email"]
        shares = _shares(dict(row))
        avg = row["avg_seconds"]
        result.append({**shares, "name": name, "avg_seconds": int(avg) if avg else avg})
    return sorted(result, key=lambda r: (-r["late"], r["name"]))


def per_team(
    leads: QuerySet[Lead], org: Organization, now: dt.datetime | None = None
) -> dict[int, dict[str, Any]]:
    """Speed-to-lead per selling team (the rep's team), one grouped query."""
    now = now or timezone.now()
    team = Subquery(
        Membership.objects.filter(org=org, user_id=OuterRef("rep_id")).values("team_id")[:1]
    )
    rows = (
        with_answer_time(leads.filter(rep__isnull=False))
        .annotate(team=team)
        .values("team")
        .annotate(**_sla_aggregates(now), median_proxy=Avg("first_touch_seconds"))
        .order_by()
    )
    return {row["team"]: _shares(dict(row)) for row in rows if row["team"] is not None}


def rejection_reasons(leads: QuerySet[Lead]) -> list[dict[str, Any]]:
    rows = (
        leads.filter(status=LeadStatus.REJECTED)
        .values("rejection_reason__label")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return [dict(row) for row in rows]


# --- targets: the period so far -------------------------------------------------------------

MIN_JUDGED_DAYS = 7  # nothing is judged in the first week of a period


class Judgement:
    ON_TRACK = "on_track"
    BEHIND = "behind"
    TOO_EARLY = "too_early"  # first week of the period, or less than one unit expected
    NOT_LAUNCHED = "not_launched"
    NO_END_DATE = "no_end_date"  # a whole-program target needs the program's end date


@dataclass(frozen=True)
class Window:
    """The days a target is measured on: from the later of the period's start and the
    launch, to today (or the program's end)."""

    start: dt.date
    end: dt.date
    period_start: dt.date
    period_end: dt.date
    label: str

    @property
    def elapsed_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def period_days(self) -> int:
        return (self.period_end - self.period_start).days + 1


def _quarter(day: dt.date) -> tuple[dt.date, dt.date, str]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    last_month = first_month + 2
    end = dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return start, end, f"Q{(first_month - 1) // 3 + 1} {day.year}"


def target_window(period: str, program: Program, today: dt.date) -> Window | str:
    """The window a target of this period is judged on today, or why it is not judged."""
    launch = program.launch_date
    if launch is None or today < launch:
        return Judgement.NOT_LAUNCHED
    reference = min(today, program.end_date) if program.end_date else today
    if period == TargetPeriod.PROGRAM:
        if program.end_date is None:
            return Judgement.NO_END_DATE
        return Window(launch, reference, launch, program.end_date, "the whole program")
    if period == TargetPeriod.MONTH:
        start = reference.replace(day=1)
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        label = f"{calendar.month_name[start.month]} {start.year}"
    else:
        start, end, label = _quarter(reference)
    return Window(max(start, launch), reference, start, end, label)


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    actual: Decimal
    expected: Decimal | None  # pro-rated for the window; None when not judged
    window: Window | None
    judgement: str

    @property
    def judged(self) -> bool:
        return self.judgement in (Judgement.ON_TRACK, Judgement.BEHIND)

    @property
    def on_track(self) -> bool:
        return self.judgement == Judgement.ON_TRACK

    @property
    def share(self) -> int | None:
        """Actual as a percentage of the expectation so far."""
        return round(100 * self.actual / self.expected) if self.expected else None


def expected_so_far(target: Target, window: Window) -> Decimal:
    """The target pro-rated to the window; whole units for counts (an expectation of 0.3
    opportunities is one opportunity, never an easy win at zero)."""
    raw = target.value * Decimal(window.elapsed_days) / Decimal(window.period_days)
    if target.metric in COUNT_METRICS:
        return Decimal(math.ceil(raw))
    return raw.quantize(Decimal("0.01"))


def _judge(target: Target, actual: Decimal, window: Window | str) -> TargetProgress:
    if isinstance(window, str):
        return TargetProgress(target, actual, None, None, window)
    if window.elapsed_days < MIN_JUDGED_DAYS:
        return TargetProgress(target, actual, None, window, Judgement.TOO_EARLY)
    expected = expected_so_far(target, window)
    verdict = Judgement.ON_TRACK if actual >= expected else Judgement.BEHIND
    return TargetProgress(target, actual, expected, window, verdict)


def _bounds(window: Window, org: Organization) -> tuple[dt.datetime, dt.datetime]:
    tz = org.tzinfo
    start = dt.datetime.combine(window.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _actuals_by_team(
    program: Program, windows: dict[str, Window]
) -> dict[tuple[str, str], dict[int | None, Decimal]]:
    """{(window key, metric): {selling team id: actual}} — three grouped queries whatever the
    number of teams and targets (leads, touches, opportunities)."""
    org = program.org
    out: dict[tuple[str, str], dict[int | None, Decimal]] = defaultdict(dict)

    def team_of(field: str) -> Subquery:
        members = Membership.objects.filter(org=org, user_id=OuterRef(field))
        return Subquery(members.values("team_id")[:1])

    lead_aggs: dict[str, Any] = {}
    touch_aggs: dict[str, Any] = {}
    opp_aggs: dict[str, Any] = {}
    for key, window in windows.items():
        start, end = _bounds(window, org)
        lead_aggs[key] = Count("id", filter=Q(first_touch_at__gte=start, first_touch_at__lt=end))
        touch_aggs[key] = Count("id", filter=Q(at__gte=start, at__lt=end))
        created = Q(created_at__gte=start, created_at__lt=end)
        opp_aggs[f"{key}|opportunities"] = Count("id", filter=created)
        opp_aggs[f"{key}|pipeline"] = Sum("amount", filter=created & Q(outcome=Outcome.OPEN))
        won = Q(outcome=Outcome.WON) & (
            Q(close_date__gte=window.start, close_date__lte=window.end)
            | (Q(close_date__isnull=True) & created)
        )
        opp_aggs[f"{key}|won_revenue"] = Sum("amount", filter=won)
        opp_aggs[f"{key}|units"] = Sum("quantity", filter=won)
    if not windows:
        return out
    leads = Lead.objects.filter(program=program).annotate(team=team_of("rep_id"))
    rows: Any = leads.values("team").annotate(**lead_aggs).order_by()
    for row in rows:
        for key in windows:
            out[(key, TargetMetric.LEADS_WORKED)][row["team"]] = Decimal(row[key])
    meetings = LeadTouch.objects.filter(lead__program=program, kind="meeting").annotate(
        team=team_of("rep_id")
    )
    rows = meetings.values("team").annotate(**touch_aggs).order_by()
    for row in rows:
        for key in windows:
            out[(key, TargetMetric.MEETINGS)][row["team"]] = Decimal(row[key])
    opps = Opportunity.objects.filter(program=program).annotate(team=team_of("owner_id"))
    rows = opps.values("team").annotate(**opp_aggs).order_by()
    for row in rows:
        for name, value in row.items():
            if "|" in name:
                key, metric = name.split("|")
                out[(key, metric)][row["team"]] = Decimal(str(value or 0))
    return out


def targets_vs_actuals(
    program: Program, today: dt.date | None = None, tree: TeamTree | None = None
) -> list[TargetProgress]:
    """Every target of the program with its actual for its window, in a constant number of
    queries. Today is the organization's date."""
    today = today or timezone.localdate(timezone=program.org.tzinfo)
    tree = tree or TeamTree.load(program.org)
    targets = list(program.targets.select_related("team").order_by("team__name", "metric"))
    windows_by_period = {p: target_window(p, program, today) for p in TargetPeriod.values}
    windows = {p: w for p, w in windows_by_period.items() if isinstance(w, Window)}
    actuals = _actuals_by_team(program, windows) if targets else {}
    rows = []
    for target in targets:
        window = windows_by_period[target.period]
        covered = tree.descendants([target.team_id])
        by_team = actuals.get((target.period, target.metric), {})
        actual = sum((v for t, v in by_team.items() if t in covered), Decimal(0))
        rows.append(_judge(target, actual, window))
    return rows


def delivering_team_ids(
    progress: list[TargetProgress], tree: TeamTree
) -> tuple[set[int], set[int]]:
    """(judged teams, delivering teams) among all teams: a team is judged when at least one
    judged target covers it (its own, or one on a team above it), and delivering when every
    judged target covering it is on track. Teams without a judged target are neither."""
    judged: set[int] = set()
    failed: set[int] = set()
    for p in progress:
        if not p.judged:
            continue
        covered = tree.descendants([p.target.team_id])
        judged |= covered
        if not p.on_track:
            failed |= covered
    return judged, judged - failed
