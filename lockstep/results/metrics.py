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
from django.db.models.functions import Coalesce, TruncWeek
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
from lockstep.programs.selectors import equal_share
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


def median_seconds(leads: QuerySet[Lead], count: int | None = None) -> int | None:
    """The median of first_touch_seconds with two small queries (no SQL median needed);
    one when the caller knows how many leads have it (`count`, the "timed" count)."""
    touched = leads.filter(first_touch_seconds__isnull=False)
    count = touched.count() if count is None else count
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
        "timed": Count("id", filter=Q(first_touch_seconds__isnull=False)),
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


def sla_counts(leads: QuerySet[Lead], now: dt.datetime | None = None) -> dict[str, Any]:
    """The SLA counts and shares of some leads, in one query (no median)."""
    now = now or timezone.now()
    return _shares(with_answer_time(leads).aggregate(**_sla_aggregates(now)))


def sla_summary(leads: QuerySet[Lead], now: dt.datetime | None = None) -> dict[str, Any]:
    counts = sla_counts(leads, now)
    return {**counts, "median_seconds": median_seconds(leads, counts["timed"])}


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


OPPORTUNITY_METRICS = frozenset(
    {
        TargetMetric.OPPORTUNITIES,
        TargetMetric.PIPELINE,
        TargetMetric.WON_REVENUE,
        TargetMetric.UNITS,
    }
)


def _actuals_by_team(
    org: Organization,
    windows: dict[str, tuple[int, Window]],
    wanted: set[tuple[str, str]],
    user_id: int | None = None,
) -> dict[tuple[str, str], dict[int | None, Decimal]]:
    """{(window key, metric): {selling team id: actual}} for the `wanted` (window key,
    metric) pairs of one or several programs' windows (key → (program id, window)) — at
    most three grouped queries whatever the number of programs, teams and targets (leads,
    touches, opportunities; a source no wanted metric reads is not queried), and one
    aggregate per wanted pair. With `user_id`, only what that person did (a rep's own
    contribution)."""
    out: dict[tuple[str, str], dict[int | None, Decimal]] = defaultdict(dict)
    wanted = {(key, metric) for key, metric in wanted if key in windows}
    if not wanted:
        return out

    def team_of(field: str) -> Subquery:
        members = Membership.objects.filter(org=org, user_id=OuterRef(field))
        return Subquery(members.values("team_id")[:1])

    aggregates: dict[str, dict[str, Any]] = {"leads": {}, "touches": {}, "opportunities": {}}
    for key, metric in wanted:
        program_id, window = windows[key]
        start, end = _bounds(window, org)
        name = f"{key}|{metric}"
        created = Q(program_id=program_id, created_at__gte=start, created_at__lt=end)
        won = Q(program_id=program_id, outcome=Outcome.WON) & (
            Q(close_date__gte=window.start, close_date__lte=window.end)
            | (Q(close_date__isnull=True) & created)
        )
        if metric == TargetMetric.LEADS_WORKED:
            aggregates["leads"][name] = Count(
                "id",
                filter=Q(program_id=program_id, first_touch_at__gte=start, first_touch_at__lt=end),
            )
        elif metric == TargetMetric.MEETINGS:
            aggregates["touches"][name] = Count(
                "id", filter=Q(lead__program_id=program_id, at__gte=start, at__lt=end)
            )
        elif metric == TargetMetric.OPPORTUNITIES:
            aggregates["opportunities"][name] = Count("id", filter=created)
        elif metric == TargetMetric.PIPELINE:
            aggregates["opportunities"][name] = Sum(
                "amount", filter=created & Q(outcome=Outcome.OPEN)
            )
        elif metric == TargetMetric.WON_REVENUE:
            aggregates["opportunities"][name] = Sum("amount", filter=won)
        elif metric == TargetMetric.UNITS:
            aggregates["opportunities"][name] = Sum("quantity", filter=won)
    program_ids = {windows[key][0] for key, _ in wanted}
    mine: dict[str, Any] = {} if user_id is None else {"rep_id": user_id}
    sources: list[tuple[QuerySet[Any], dict[str, Any]]] = []
    if aggregates["leads"]:
        leads = Lead.objects.filter(program_id__in=program_ids, **mine)
        sources.append((leads.annotate(team=team_of("rep_id")), aggregates["leads"]))
    if aggregates["touches"]:
        meetings = LeadTouch.objects.filter(
            lead__program_id__in=program_ids, kind="meeting", **mine
        )
        sources.append((meetings.annotate(team=team_of("rep_id")), aggregates["touches"]))
    if aggregates["opportunities"]:
        owned = {} if user_id is None else {"owner_id": user_id}
        opps = Opportunity.objects.filter(program_id__in=program_ids, **owned)
        sources.append((opps.annotate(team=team_of("owner_id")), aggregates["opportunities"]))
    for rows, aggs in sources:
        for row in rows.values("team").annotate(**aggs).order_by():
            for name in aggs:
                key, metric = name.split("|")
                out[(key, metric)][row["team"]] = Decimal(str(row[name] or 0))
    return out


def targets_vs_actuals(
    program: Program, today: dt.date | None = None, tree: TeamTree | None = None
) -> list[TargetProgress]:
    """Every target of the program with its actual for its window, in a constant number of
    queries. Today is the organization's date."""
    return targets_vs_actuals_many([program], today=today, tree=tree)[program.pk]


def targets_vs_actuals_many(
    programs: list[Program], today: dt.date | None = None, tree: TeamTree | None = None
) -> dict[int, list[TargetProgress]]:
    """`targets_vs_actuals` for several programs of one organization at once: the same
    rules, four queries in all (the targets, then leads, touches and opportunities)."""
    if not programs:
        return {}
    org = programs[0].org
    today = today or timezone.localdate(timezone=org.tzinfo)
    tree = tree or TeamTree.load(org)
    by_id = {p.pk: p for p in programs}
    targets = list(
        Target.objects.filter(program_id__in=list(by_id))
        .select_related("team")
        .order_by("program_id", "team__name", "metric")
    )
    periods: dict[tuple[int, str], Window | str] = {}
    for target in targets:
        pair = (target.program_id, target.period)
        if pair not in periods:
            periods[pair] = target_window(target.period, by_id[target.program_id], today)
    windows = {
        f"p{program_id}_{period}": (program_id, window)
        for (program_id, period), window in periods.items()
        if isinstance(window, Window)
    }
    wanted = {(f"p{t.program_id}_{t.period}", t.metric) for t in targets}
    actuals = _actuals_by_team(org, windows, wanted)
    result: dict[int, list[TargetProgress]] = {p.pk: [] for p in programs}
    for target in targets:
        target.program = by_id[target.program_id]
        window = periods[(target.program_id, target.period)]
        covered = tree.descendants([target.team_id])
        key = f"p{target.program_id}_{target.period}"
        by_team = actuals.get((key, target.metric), {})
        actual = sum((v for t, v in by_team.items() if t in covered), Decimal(0))
        result[target.program_id].append(_judge(target, actual, window))
    return result


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


# --- a rep's own share of the targets covering their team -----------------------------------


@dataclass(frozen=True)
class RepShare:
    """A target covering a rep's team, the rep's equal share of it, and how the rep is doing
    against that share for the target's period so far."""

    target: Target
    reps: int  # reps sharing the target (those of its team and the teams below)
    share: Decimal  # the rep's share of the whole target
    expected: Decimal | None  # the rep's share of the expectation so far; None: not judged
    actual: Decimal  # what the rep did in the window
    window: Window | None
    judgement: str

    @property
    def whole(self) -> bool:
        return self.target.metric in COUNT_METRICS

    @property
    def on_track(self) -> bool:
        return self.judgement == Judgement.ON_TRACK

    @property
    def percent(self) -> int | None:
        """Actual as a percentage of the rep's expected share so far."""
        return round(100 * self.actual / self.expected) if self.expected else None


def rep_shares(
    membership: Membership,
    programs: list[Program],
    headcount: dict[int, int],
    today: dt.date | None = None,
    tree: TeamTree | None = None,
) -> dict[int, list[RepShare]]:
    """For each program, the targets covering the rep's team (its own or a region's above
    it), the rep's share and the rep's own actual in the target's window. `headcount` is
    reps per team ({team id: n}). One query for the targets and up to three for the rep's
    actuals, whatever the number of programs."""
    result: dict[int, list[RepShare]] = {p.pk: [] for p in programs}
    if not programs or membership.team_id is None:
        return result
    org = membership.org
    today = today or timezone.localdate(timezone=org.tzinfo)
    tree = tree or TeamTree.load(org)
    lineage = {membership.team_id} | tree.ancestors({membership.team_id})
    by_id = {p.pk: p for p in programs}
    targets = list(
        Target.objects.filter(program_id__in=list(by_id), team_id__in=lineage)
        .select_related("team")
        .order_by("program_id", "team__name", "metric")
    )
    periods: dict[tuple[int, str], Window | str] = {}
    for target in targets:
        pair = (target.program_id, target.period)
        if pair not in periods:
            periods[pair] = target_window(target.period, by_id[target.program_id], today)
    windows = {
        f"p{program_id}_{period}": (program_id, window)
        for (program_id, period), window in periods.items()
        if isinstance(window, Window)
    }
    wanted = {(f"p{t.program_id}_{t.period}", t.metric) for t in targets}
    mine = _actuals_by_team(org, windows, wanted, user_id=membership.user_id)
    for target in targets:
        target.program = by_id[target.program_id]
        reps = sum(headcount.get(t, 0) for t in tree.descendants([target.team_id])) or 1
        window = periods[(target.program_id, target.period)]
        key = f"p{target.program_id}_{target.period}"
        actual = sum(mine.get((key, target.metric), {}).values(), Decimal(0))
        team = _judge(target, Decimal(0), window)  # the team's judgement rules, not its actual
        expected = (
            equal_share(team.expected, reps, target.metric) if team.expected is not None else None
        )
        if expected is None:
            judgement = team.judgement
        else:
            judgement = Judgement.ON_TRACK if actual >= expected else Judgement.BEHIND
        result[target.program_id].append(
            RepShare(
                target=target,
                reps=reps,
                share=equal_share(target.value, reps, target.metric),
                expected=expected,
                actual=actual,
                window=team.window,
                judgement=judgement,
            )
        )
    return result


# --- speed-to-lead distribution and rejections over time ------------------------------------

# Business hours to first touch, as the distribution chart groups them: (label, from, to).
TOUCH_BUCKETS: list[tuple[str, int, int | None]] = [
    ("under 1 h", 0, 1),
    ("1–2 h", 1, 2),
    ("2–4 h", 2, 4),
    ("4–8 h", 4, 8),
    ("8–16 h", 8, 16),
    ("16–40 h", 16, 40),
    ("over 40 h", 40, None),
]


def first_touch_distribution(leads: QuerySet[Lead]) -> list[dict[str, Any]]:
    """How many touched leads were first touched within each band of business hours (one
    query). The bands are business time, like the SLA: a lead that came in on Friday
    evening and was called on Monday at 10 was answered in about an hour."""
    aggregates: dict[str, Any] = {}
    for index, (_, low, high) in enumerate(TOUCH_BUCKETS):
        band = Q(first_touch_seconds__gte=low * 3600)
        if high is not None:
            band &= Q(first_touch_seconds__lt=high * 3600)
        aggregates[f"b{index}"] = Count("id", filter=band)
    row = leads.filter(first_touch_seconds__isnull=False).aggregate(**aggregates)
    return [
        {"label": label, "low_hours": low, "high_hours": high, "leads": row[f"b{index}"]}
        for index, (label, low, high) in enumerate(TOUCH_BUCKETS)
    ]


def rejections_by_week(leads: QuerySet[Lead], org: Organization) -> list[dict[str, Any]]:
    """Rejected leads per reason and per week the lead came in (the organization's weeks,
    Monday first), in one grouped query. Imported rejections have no rejection date, so the
    week is the lead's arrival."""
    week = TruncWeek("created_at", tzinfo=org.tzinfo)
    rows = (
        leads.filter(status=LeadStatus.REJECTED)
        .annotate(week=week)
        .values("week", "rejection_reason__label")
        .annotate(n=Count("id"))
        .order_by("week", "rejection_reason__label")
    )
    return [
        {
            "week": row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"],
            "reason": row["rejection_reason__label"] or "—",
            "n": row["n"],
        }
        for row in rows
    ]
