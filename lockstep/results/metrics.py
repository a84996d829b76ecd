"""Speed-to-lead, rejections and targets against actuals — aggregated by the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.utils import timezone

from lockstep.core.permissions import Role
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import with_descendants
from lockstep.programs.models import Program, Target, TargetMetric, TargetPeriod
from lockstep.results.models import Lead, LeadStatus, LeadTouch, Opportunity, Outcome


def median_seconds(leads: QuerySet[Lead]) -> int | None:
    """The median of first_touch_seconds with two small queries (no SQL median needed)."""
    touched = leads.filter(first_touch_seconds__isnull=False)
    count = touched.count()
    if not count:
        return None
    ordered = touched.order_by("first_touch_seconds").values_list("first_touch_seconds", flat=True)
    middle = [v or 0 for v in ordered[(count - 1) // 2 : count // 2 + 1]]
    return int(sum(middle) / len(middle))


def sla_summary(leads: QuerySet[Lead], now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    totals = leads.aggregate(
        total=Count("id"),
        touched=Count("id", filter=Q(first_touch_at__isnull=False)),
        within=Count("id", filter=Q(first_touch_at__lte=F("sla_due_at"))),
        late=Count("id", filter=Q(first_touch_at__gt=F("sla_due_at"))),
        waiting_late=Count("id", filter=Q(first_touch_at__isnull=True, sla_due_at__lt=now,
                                          status=LeadStatus.NEW)),
        rejected=Count("id", filter=Q(status=LeadStatus.REJECTED)),
    )  # fmt: skip
    touched = totals["touched"]
    return {
        **totals,
        "breaches": totals["late"] + totals["waiting_late"],
        "within_share": round(100 * totals["within"] / touched) if touched else None,
        "rejection_rate": round(100 * totals["rejected"] / totals["total"])
        if totals["total"]
        else None,
        "median_hours": None
        if (median := median_seconds(leads)) is None
        else round(median / 3600, 1),
    }


def per_rep(leads: QuerySet[Lead], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Speed-to-lead per rep, in one grouped query (average rather than median per rep)."""
    now = now or timezone.now()
    rows = (
        leads.filter(rep__isnull=False)
        .values("rep", "rep__first_name", "rep__last_name", "rep__email")
        .annotate(
            total=Count("id"),
            touched=Count("id", filter=Q(first_touch_at__isnull=False)),
            within=Count("id", filter=Q(first_touch_at__lte=F("sla_due_at"))),
            breaches=Count("id", filter=Q(first_touch_at__gt=F("sla_due_at")))
            + Count("id", filter=Q(first_touch_at__isnull=True, sla_due_at__lt=now,
                                   status=LeadStatus.NEW)),
            rejected=Count("id", filter=Q(status=LeadStatus.REJECTED)),
            avg_seconds=Avg("first_touch_seconds"),
        )
        .order_by("-breaches", "rep__last_name")
    )  # fmt: skip
    result = []
    for row in rows:
        name = f"{row['rep__first_name']} {row['rep__last_name']}".strip() or row["rep__email"]
        touched = row["touched"]
        result.append(
            {
                "name": name,
                "total": row["total"],
                "within_share": round(100 * row["within"] / touched) if touched else None,
                "breaches": row["breaches"],
                "rejection_rate": round(100 * row["rejected"] / row["total"]),
                "avg_hours": round(row["avg_seconds"] / 3600, 1)
                if row["avg_seconds"] is not None
                else None,
            }
        )
    return result


def rejection_reasons(leads: QuerySet[Lead]) -> list[dict[str, Any]]:
    rows = (
        leads.filter(status=LeadStatus.REJECTED)
        .values("rejection_reason__label")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return [dict(row) for row in rows]


PERIOD_DAYS: dict[str, Decimal] = {
    TargetPeriod.MONTH: Decimal("30.44"),
    TargetPeriod.QUARTER: Decimal("91.31"),
}


def expected_so_far(target: Target, program: Program, today: dt.date) -> Decimal:
    """The target pro-rated to the time elapsed since launch (capped at the program end)."""
    if program.launch_date is None or today < program.launch_date:
        return Decimal(0)
    end = min(today, program.end_date) if program.end_date else today
    elapsed = Decimal((end - program.launch_date).days + 1)
    if target.period == TargetPeriod.PROGRAM:
        if not program.end_date:
            return target.value
        length = Decimal((program.end_date - program.launch_date).days + 1)
        return (target.value * min(elapsed / length, Decimal(1))).quantize(Decimal("0.01"))
    return (target.value * elapsed / PERIOD_DAYS[target.period]).quantize(Decimal("0.01"))


def actual(program: Program, metric: str, user_ids: list[int]) -> Decimal:
    leads = Lead.objects.filter(program=program, rep_id__in=user_ids)
    opps = Opportunity.objects.filter(program=program, owner_id__in=user_ids)
    if metric == TargetMetric.LEADS_WORKED:
        return Decimal(leads.filter(first_touch_at__isnull=False).count())
    if metric == TargetMetric.MEETINGS:
        return Decimal(
            LeadTouch.objects.filter(
                lead__program=program, rep_id__in=user_ids, kind="meeting"
            ).count()
        )
    if metric == TargetMetric.OPPORTUNITIES:
        return Decimal(opps.count())
    field, outcome = {
        TargetMetric.PIPELINE: ("amount", Outcome.OPEN),
        TargetMetric.WON_REVENUE: ("amount", Outcome.WON),
        TargetMetric.UNITS: ("quantity", Outcome.WON),
    }[TargetMetric(metric)]
    return Decimal(opps.filter(outcome=outcome).aggregate(s=Sum(field))["s"] or 0)


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    actual: Decimal
    expected: Decimal

    @property
    def on_track(self) -> bool:
        return self.actual >= self.expected

    @property
    def share(self) -> int | None:
        return round(100 * self.actual / self.expected) if self.expected else None


def targets_vs_actuals(program: Program, today: dt.date | None = None) -> list[TargetProgress]:
    today = today or timezone.localdate()
    rows = []
    for target in program.targets.select_related("team"):
        teams = with_descendants(program.org, [target.team_id])
        users = list(
            Membership.objects.filter(
                org=program.org, team_id__in=teams, role__in=[Role.REP, Role.PARTNER_REP]
            ).values_list("user_id", flat=True)
        )
        rows.append(
            TargetProgress(
                target,
                actual(program, target.metric, users),
                expected_so_far(target, program, today),
            )
        )
    return rows


def delivering_team_ids(program: Program, today: dt.date | None = None) -> set[int] | None:
    """Teams at or above every pro-rated target that covers them; None without data."""
    progress = targets_vs_actuals(program, today)
    if not progress or not (program.leads.exists() or program.opportunities.exists()):
        return None
    behind = {p.target.team_id for p in progress if not p.on_track}
    covered: set[int] = set()
    failed: set[int] = set()
    for p in progress:
        teams = with_descendants(program.org, [p.target.team_id])
        covered |= teams
        if p.target.team_id in behind:
            failed |= teams
    return covered - failed
