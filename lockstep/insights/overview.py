"""The organization overview: the home of owners, marketers and viewers (docs/insights.md).

Every live program side by side (readiness at launch, Lockstep score, each stage), the
teams that lag across programs, the quarter-over-quarter trend of programs launched, and
the load coming to each team. One funnel computation for all the programs at once
(`funnel.load_many`, `funnel.team_counts_many`): a constant number of queries whatever the
number of programs, teams or reps."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from lockstep.core.charts import BLUE, ORANGE, VERMILLION, Series, bar_chart, line_chart
from lockstep.core.csvexport import Table
from lockstep.insights import funnel
from lockstep.orgs.models import Membership, Organization
from lockstep.orgs.selectors import TeamTree
from lockstep.programs.models import Program, ProgramStatus
from lockstep.programs.selectors import (
    LOAD_COLUMNS,
    load_table_rows,
    month_starts,
    team_load,
    with_training_minutes,
)

LAG_POINTS = 10  # a team lags in a program when its score is this far below the program's
TREND_QUARTERS = 5  # this quarter and the four before it
LOAD_MONTHS = 3  # the load coming to teams: this month and the next two
SHOWN_ROWS = 10  # teams shown at once in each table (the rest one click away, all in the CSV)


@dataclass
class ProgramColumn:
    program: Program
    total: funnel.Row
    rows: list[funnel.Row]
    applicable: funnel.Applicable


@dataclass
class TeamLag:
    team_id: int
    name: str
    depth: int
    scores: dict[int, int | None] = field(default_factory=dict)  # program id → team score
    gaps: dict[int, int] = field(default_factory=dict)  # program id → team − program score

    def cells(self, program_ids: list[int]) -> list[dict[str, Any] | None]:
        """One cell per program (None where the team is not in the audience)."""
        out: list[dict[str, Any] | None] = []
        for pk in program_ids:
            score = self.scores.get(pk)
            if pk not in self.scores:
                out.append(None)
                continue
            heat = "nodata" if score is None else f"h{score // 10}"
            out.append({"score": score, "gap": self.gaps.get(pk), "heat": heat})
        return out

    @property
    def lagging(self) -> int:
        return sum(1 for g in self.gaps.values() if g <= -LAG_POINTS)

    @property
    def average_gap(self) -> float | None:
        return round(statistics.mean(self.gaps.values()), 1) if self.gaps else None


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_label(day: dt.date) -> str:
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def quarters_back(today: dt.date, count: int) -> list[dt.date]:
    first = quarter_start(today)
    out = [first]
    for _ in range(count - 1):
        prev = first.replace(day=1) - dt.timedelta(days=1)
        first = quarter_start(prev)
        out.append(first)
    return list(reversed(out))


def measured_programs(org: Organization, today: dt.date) -> tuple[list[Program], list[dt.date]]:
    """Live programs, programs closed after launching in the trend's quarters, and programs
    launching in the load's months: one query (plus the audiences), with the funnel's facts
    and each program's required training minutes."""
    quarters = quarters_back(today, TREND_QUARTERS)
    months = month_starts(today.replace(day=1), LOAD_MONTHS)
    load_end = month_starts(months[-1], 2)[1]
    programs = (
        with_training_minutes(Program.objects.for_org(org))
        .filter(archived_at__isnull=True)
        .filter(
            Q(status=ProgramStatus.LIVE)
            | Q(status=ProgramStatus.CLOSED, launch_date__gte=quarters[0])
            | Q(launch_date__gte=months[0], launch_date__lt=load_end)
        )
        .annotate(**funnel.facts_annotations())
        .select_related("org")
        .prefetch_related("audience")
        .order_by("launch_date", "name")
    )
    return list(programs), quarters


def org_overview(membership: Membership) -> dict[str, Any]:
    org = membership.org
    today = timezone.localdate(timezone=org.tzinfo)
    tree = TeamTree.load(org)
    programs, quarters = measured_programs(org, today)
    measured = [
        p
        for p in programs
        if p.status in (ProgramStatus.LIVE, ProgramStatus.CLOSED) and p.launch_date is not None
    ]
    contexts = funnel.load_many(measured, tree=tree)
    counts = funnel.team_counts_many(list(contexts.values()))
    columns: dict[int, ProgramColumn] = {}
    for program in measured:
        ctx = contexts[program.pk]
        data = funnel.program_funnel(program, ctx=ctx, counts=counts[program.pk])
        columns[program.pk] = ProgramColumn(program, data["total"], data["rows"], ctx.applicable)
    live = [columns[p.pk] for p in measured if p.status == ProgramStatus.LIVE]
    lags = team_lags(live, tree)
    live_ids = [c.program.pk for c in live]
    lag_rows = [{"lag": lag, "cells": lag.cells(live_ids)} for lag in lags]
    trend = quarter_trend(list(columns.values()), quarters)
    months = month_starts(today.replace(day=1), LOAD_MONTHS)
    selling_teams = {t for t in tree.parents if tree.is_leaf(t)}
    load_rows = team_load(programs, tree, months, selling_teams, org.max_training_minutes)
    overloaded = [r for r in load_rows if r.overloaded_months]
    busiest = sorted(
        load_rows,
        key=lambda r: (-r.overloaded_months, -sum(c.minutes for c in r.cells), r.name),
    )
    stages = funnel.STAGES
    labels = [funnel.STAGE_LABELS[s] for s in stages]
    month_labels = [f"{m:%b %Y}" for m in months]
    score_chart = None
    if live:
        score_chart = bar_chart(
            "overview-scores",
            labels=[c.program.name for c in live],
            series=[Series("Lockstep score", [c.total.score for c in live], color=BLUE)],
            label="Lockstep score of each live program: "
            + "; ".join(f"{c.program.name} {c.total.score}" for c in live),
            caption="Lockstep score (0–100) of each live program: how far the sell-in landed.",
            fmt="score",
            horizontal=True,
            max_value=100,
        )
    lag_chart = None
    shown_lags = [lag for lag in lags if lag.gaps][:SHOWN_ROWS]
    if shown_lags:
        lag_chart = bar_chart(
            "overview-lags",
            labels=[lag.name for lag in shown_lags],
            series=[
                Series(
                    "Points above or below the program's score",
                    [lag.average_gap for lag in shown_lags],
                    extra={
                        "backgroundColor": [
                            VERMILLION if (lag.average_gap or 0) <= -LAG_POINTS else BLUE
                            for lag in shown_lags
                        ]
                    },
                )
            ],
            label="Average gap between each team's Lockstep score and its programs' scores: "
            + "; ".join(f"{lag.name} {lag.average_gap:+}" for lag in shown_lags),
            caption=f"Average points a team sits above or below the score of the live programs "
            f"it is in; vermillion: {LAG_POINTS} or more below.",
            fmt="number",
            horizontal=True,
        )
    trend_chart = None
    if any(q["programs"] for q in trend):
        trend_chart = line_chart(
            "overview-trend",
            labels=[q["label"] for q in trend],
            series=[
                Series("Median Lockstep score", [q["median_score"] for q in trend], color=BLUE),
                Series(
                    "Median readiness at launch",
                    [q["median_readiness"] for q in trend],
                    color=ORANGE,
                ),
            ],
            label="By launch quarter: "
            + "; ".join(
                f"{q['label']} {q['programs']} programs, median score {q['median_score']}, "
                f"median readiness {q['median_readiness']}"
                for q in trend
            ),
            caption="Programs launched each quarter (live or closed): median Lockstep score "
            "and median readiness at launch.",
            fmt="score",
            min_value=0,
            max_value=100,
        )
    tables = [
        Table(
            "programs",
            "live-programs",
            [
                "Program",
                "Launched",
                "Ends",
                "Readiness at launch",
                "Launched by exception",
                "Reps",
                *labels,
                "Lockstep score",
            ],
            [
                [
                    c.program.name,
                    c.program.launch_date,
                    c.program.end_date,
                    c.program.launch_score,
                    bool(c.program.override_reason),
                    c.total.reps,
                    *[funnel_cell(c.total, s) for s in stages],
                    c.total.score,
                ]
                for c in live
            ],
        ),  # fmt: skip
        Table(
            "teams",
            "teams-across-programs",
            [
                "Team",
                *[c.program.name for c in live],
                "Programs lagging in",
                "Average gap (points)",
            ],
            [
                [lag.name, *[lag.scores.get(pk) for pk in live_ids], lag.lagging, lag.average_gap]
                for lag in lags
            ],
        ),  # fmt: skip
        Table(
            "trend",
            "quarter-trend",
            [
                "Quarter",
                "Programs launched",
                "Median Lockstep score",
                "Median readiness at launch",
                "Median Delivering %",
            ],
            [
                [
                    q["label"],
                    q["programs"],
                    q["median_score"],
                    q["median_readiness"],
                    q["median_delivering"],
                ]
                for q in trend
            ],
        ),  # fmt: skip
        Table(
            "load",
            "team-load",
            LOAD_COLUMNS,
            load_table_rows(load_rows, month_labels),
        ),  # fmt: skip
    ]
    return {
        "live": live,
        "closed": [c for c in columns.values() if c.program.status == ProgramStatus.CLOSED],
        "stages": stages,
        "labels": funnel.STAGE_LABELS,
        "lags": lags,
        "lag_rows": lag_rows,
        "lag_points": LAG_POINTS,
        "trend": trend,
        "months": months,
        "month_labels": month_labels,
        "load_rows": load_rows,
        "load_top": busiest[:SHOWN_ROWS],
        "load_rest": busiest[SHOWN_ROWS:],
        "lag_top": lag_rows[:SHOWN_ROWS],
        "lag_rest": lag_rows[SHOWN_ROWS:],
        "overloaded": overloaded,
        "upcoming": [
            p
            for p in programs
            if p.status not in (ProgramStatus.LIVE, ProgramStatus.CLOSED)
            and p.launch_date is not None
            and p.launch_date >= months[0]
        ],
        "score_chart": score_chart,
        "lag_chart": lag_chart,
        "trend_chart": trend_chart,
        "tables": tables,
        "today": today,
    }


def funnel_cell(row: funnel.Row, stage: str) -> object:
    value = row.shares[stage]
    return round(value, 1) if value is not None else row.why.get(stage, "")


def team_lags(columns: list[ProgramColumn], tree: TeamTree) -> list[TeamLag]:
    """Every selling team (a team without sub-teams) of the live programs, with its score in
    each program and the gap to the program's score; most lagging first."""
    lags: dict[int, TeamLag] = {}
    for column in columns:
        program_score = column.total.score
        for row in column.rows:
            if row.team is None or not tree.is_leaf(row.team.pk) or not row.reps:
                continue
            lag = lags.setdefault(row.team.pk, TeamLag(row.team.pk, row.team.name, row.depth))
            lag.scores[column.program.pk] = row.score
            if row.score is not None and program_score is not None:
                lag.gaps[column.program.pk] = row.score - program_score
    return sorted(
        lags.values(),
        key=lambda lag: (-lag.lagging, lag.average_gap if lag.average_gap is not None else 0,
                         lag.name),
    )  # fmt: skip


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def quarter_trend(columns: list[ProgramColumn], quarters: list[dt.date]) -> list[dict[str, Any]]:
    """Per launch quarter: programs launched (live or closed), their median Lockstep score,
    median readiness at launch and median Delivering share."""
    out = []
    for start in quarters:
        mine = [
            c
            for c in columns
            if c.program.launch_date and quarter_start(c.program.launch_date) == start
        ]
        out.append(
            {
                "label": quarter_label(start),
                "programs": len(mine),
                "median_score": _median([c.total.score for c in mine if c.total.score is not None]),
                "median_readiness": _median(
                    [c.program.launch_score for c in mine if c.program.launch_score is not None]
                ),
                "median_delivering": _median(
                    [
                        c.total.shares["delivering"]
                        for c in mine
                        if c.total.shares["delivering"] is not None
                    ]
                ),
            }
        )
    return out
