"""The figures the bench compares: the funnel page's and the results page's numbers for a
program, as the product computes them (the same calls as the views, for an owner who
sees every team) and in a plain shape the hand-written SQL (`hand.py`) fills too."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from lockstep.insights import funnel as product_funnel
from lockstep.orgs.models import Team
from lockstep.programs.models import Program
from lockstep.programs.selectors import selling_team_ids
from lockstep.results import metrics
from lockstep.results.models import Lead


@dataclass(frozen=True)
class TargetFigures:
    team_id: int
    actual: Decimal
    expected: Decimal | None
    judgement: str


@dataclass(frozen=True)
class RowFigures:
    depth: int
    reps: int
    counts: tuple[int, ...]  # informed, trained, understood, bought in, answered pulse,
    # executing, executing applicable
    delivering_reps: int
    judged_reps: int
    targeted_reps: int
    shares: tuple[float | None, ...]  # per stage
    score: int | None
    hidden: tuple[str, ...]


@dataclass(frozen=True)
class FunnelFigures:
    rows: dict[int, RowFigures]  # by team
    total: RowFigures
    targets: dict[int, TargetFigures]


@dataclass(frozen=True)
class ResultsFigures:
    # total, touched, counted, within, pending, rejected, late, within %, rejection %
    teams: dict[int, tuple[Any, ...]]
    team_speed: dict[int, float | None]  # average first-touch seconds per team
    reps: list[tuple[Any, ...]]  # name, the nine above, average seconds; the page's 200
    summary: tuple[Any, ...]  # the nine above and the median seconds
    reasons: dict[str | None, int]
    targets: dict[int, TargetFigures]
    lead_count: int


SLA_KEYS = (
    "total",
    "touched",
    "counted",
    "within",
    "pending",
    "rejected",
    "late",
    "within_share",
    "rejection_rate",
)


def _targets(progress: list[metrics.TargetProgress]) -> dict[int, TargetFigures]:
    return {
        p.target.pk: TargetFigures(p.target.team_id, p.actual, p.expected, p.judgement)
        for p in progress
    }


def _row(row: product_funnel.Row) -> RowFigures:
    return RowFigures(
        depth=row.depth,
        reps=row.reps,
        counts=tuple(row.counts[k] for k in product_funnel.COUNTED),
        delivering_reps=row.delivering_reps,
        judged_reps=row.judged_reps,
        targeted_reps=row.targeted_reps,
        shares=tuple(row.shares[s] for s in product_funnel.STAGES),
        score=row.score,
        hidden=tuple(sorted(row.hidden)),
    )


def funnel(program: Program, now: dt.datetime) -> FunnelFigures:
    """What the funnel page computes (`insights.views.program_funnel`, an owner)."""
    ctx = product_funnel.load(program, now=now)
    data = product_funnel.program_funnel(program, only_team_ids=None, ctx=ctx)
    return FunnelFigures(
        rows={r.team.pk: _row(r) for r in data["rows"] if r.team is not None},
        total=_row(data["total"]),
        targets=_targets(data["progress"]),
    )


def results(program: Program, now: dt.datetime) -> ResultsFigures:
    """What the results page computes (`results.views.program_results`, an owner)."""
    leads = Lead.objects.filter(program=program)
    by_team = metrics.per_team(leads, program.org, now=now)
    teams = Team.objects.for_org(program.org).filter(pk__in=selling_team_ids(program))
    team_rows: list[tuple[Team, dict[str, Any]]] = [
        (team, by_team[team.pk]) for team in teams.order_by("name") if team.pk in by_team
    ]
    rep_rows = metrics.per_rep(leads, now=now)[:200]
    summary = metrics.sla_summary(leads, now=now)
    reasons = metrics.rejection_reasons(leads)
    progress = metrics.targets_vs_actuals(program)
    lead_count = leads.count()
    return ResultsFigures(
        teams={team.pk: tuple(row[k] for k in SLA_KEYS) for team, row in team_rows},
        team_speed={team.pk: row["median_proxy"] for team, row in team_rows},
        reps=[(r["name"], *(r[k] for k in SLA_KEYS), r["avg_seconds"]) for r in rep_rows],
        summary=(*(summary[k] for k in SLA_KEYS), summary["median_seconds"]),
        reasons={r["rejection_reason__label"]: r["n"] for r in reasons},
        targets=_targets(progress),
        lead_count=lead_count,
    )


# --- comparing ----------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if hasattr(a, "__dataclass_fields__") and type(a) is type(b):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    return bool(a == b)


def differences(product: Any, hand: Any, path: str = "", limit: int = 10) -> list[str]:
    """Where two figures differ (the first `limit` places), empty when they agree."""
    out: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(out) >= limit or _same(a, b):
            return
        if hasattr(a, "__dataclass_fields__") and type(a) is type(b):
            for f in fields(a):
                walk(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(a.keys() | b.keys(), key=str):
                if key not in a or key not in b:
                    side = "hand" if key not in a else "product"
                    out.append(f"{where}[{key}]: only in {side}")
                else:
                    walk(a[key], b[key], f"{where}[{key}]")
                if len(out) >= limit:
                    return
            return
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{where}[{i}]")
            return
        out.append(f"{where}: product {a!r}, hand {b!r}")

    walk(product, hand, path or type(product).__name__)
    return out
