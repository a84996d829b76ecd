"""A closed program's retrospective: results against targets next to how the sell-in went.

`compute(program)` measures a closed program once (a few dozen queries) into a plain dict
that `services.refresh_retrospective` stores; pages only read it (`Retro.of`), so a
retrospective costs a handful of queries however big the program was. What is measured:

- readiness at launch (`Program.launch_score`, the organization's threshold, an owner's
  exception) and the sell-in practices (required training minutes, incentive, endorsement
  by an audience leader, preview round);
- the sell-in funnel two and six weeks after launch and at the end (`funnel.load(program,
  now=…)`: only what had happened by then counts), per team;
- every target against its actual at the end (`metrics.targets_vs_actuals(today=end)`);
  *attainment* is the share of judged targets on track at the end;
- speed-to-lead at the end (`metrics.sla_summary`), overall and per team.

The end is the program's end date, or the day it closed if it closed earlier. Per-team rows
keep their counts, so a sales leader sees their teams' rows and their teams' totals only."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone

from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.insights import funnel
from lockstep.insights.models import Retrospective
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import TeamTree
from lockstep.programs.models import (
    IncentiveKind,
    Program,
    ProgramStatus,
    TargetMetric,
    TargetPeriod,
)
from lockstep.programs.selectors import audience_endorsements, preview_held, visible_programs
from lockstep.results import metrics
from lockstep.results.models import Lead

VERSION = 1  # of what `compute` stores: a higher version recomputes every retrospective
CHECKPOINTS = [("2w", 14, "2 weeks after launch"), ("6w", 42, "6 weeks after launch")]
END_LABEL = "At the end"
SHORT_LABELS = {"2w": "2 weeks", "6w": "6 weeks", "end": "End"}


def closed_at(program: Program) -> dt.datetime | None:
    """When the program was closed (its latest `program.closed` event)."""
    event = (
        ActivityEvent.objects.filter(program=program, verb=Verb.PROGRAM_CLOSED)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return event


def end_of(program: Program, closed: dt.datetime | None) -> dt.datetime:
    """The moment the program's results are read: the end of its end date, or when it
    closed if that came first (or now, for a program not closed yet)."""
    candidates = [closed or timezone.now()]
    if program.end_date is not None:
        midnight = dt.datetime.combine(
            program.end_date + dt.timedelta(days=1), dt.time.min, tzinfo=program.org.tzinfo
        )
        candidates.append(midnight)
    return min(candidates)


def _row(row: funnel.Row, tree: TeamTree) -> dict[str, Any]:
    return {
        "team_id": row.team.pk if row.team else None,
        "name": row.label,
        "depth": row.depth,
        "parent_id": tree.parents.get(row.team.pk) if row.team else None,
        "reps": row.reps,
        "counts": dict(row.counts),
        "delivering_reps": row.delivering_reps,
        "judged_reps": row.judged_reps,
        "targeted_reps": row.targeted_reps,
        "shares": dict(row.shares),
        "score": row.score,
    }


def _checkpoint(program: Program, key: str, label: str, at: dt.datetime | None,
                end: dt.datetime) -> dict[str, Any]:  # fmt: skip
    if at is None or at > end:
        return {"key": key, "label": label, "at": at.isoformat() if at else None, "reached": False}
    ctx = funnel.load(program, now=at)
    data = funnel.program_funnel(program, ctx=ctx)
    return {
        "key": key,
        "label": label,
        "at": at.isoformat(),
        "reached": True,
        "applicable": asdict(ctx.applicable),
        "rows": [_row(r, ctx.tree) for r in data["rows"]],
        "total": _row(data["total"], ctx.tree),
    }


def _targets(program: Program, end: dt.datetime) -> list[dict[str, Any]]:
    today = timezone.localdate(end - dt.timedelta(microseconds=1), program.org.tzinfo)
    rows = []
    for p in metrics.targets_vs_actuals(program, today=today):
        target = p.target
        rows.append(
            {
                "team_id": target.team_id,
                "team": target.team.name,
                "metric": target.metric,
                "metric_label": TargetMetric(target.metric).label,
                "period": TargetPeriod(target.period).label,
                "value": str(target.value),
                "actual": str(p.actual),
                "expected": str(p.expected) if p.expected is not None else None,
                "judgement": p.judgement,
                "judged": p.judged,
                "on_track": p.on_track,
                "share": p.share,
                "window": p.window.label if p.window else "",
            }
        )
    return rows


def _speed(program: Program, end: dt.datetime) -> dict[str, Any]:
    leads = Lead.objects.filter(program=program)
    overall = metrics.sla_summary(leads, now=end)
    by_team = metrics.per_team(leads, program.org, now=end)
    # Medians per team: one query of (team, seconds) for the touched leads, once per program.
    team = Subquery(
        Membership.objects.filter(org=program.org, user_id=OuterRef("rep_id")).values("team_id")[:1]
    )
    seconds: dict[int, list[int]] = {}
    touched = (
        leads.filter(first_touch_seconds__isnull=False, created_at__lt=end)
        .annotate(team=team)
        .values_list("team", "first_touch_seconds")
    )
    for team_id, value in touched:
        if team_id is not None and value is not None:
            seconds.setdefault(team_id, []).append(value)
    keys = ("total", "counted", "within", "rejected")
    return {
        "overall": {k: overall[k] for k in (*keys, "within_share", "median_seconds")},
        "teams": {
            str(t): {
                **{k: row[k] for k in keys},
                "median_seconds": int(statistics.median(seconds[t])) if seconds.get(t) else None,
            }
            for t, row in by_team.items()
        },
    }


def practices(program: Program, tree: TeamTree) -> dict[str, Any]:
    """How the program was sold in, for the retrospective and the evidence page."""
    minutes = program.training.filter(required=True).aggregate(m=Sum("duration_minutes"))["m"]
    return {
        "readiness": program.launch_score,
        "threshold": program.org.readiness_threshold,
        "exception": bool(program.override_reason),
        "training_minutes": int(minutes or 0),
        "incentive": program.incentive_kind != IncentiveKind.NONE,
        "incentive_label": program.get_incentive_kind_display(),
        "endorsements": audience_endorsements(program, tree),
        "preview": preview_held(program),
    }


def compute(program: Program) -> dict[str, Any]:
    """Measure a (closed) program once; see the module docstring."""
    program = Program.objects.select_related("org").get(pk=program.pk)
    tree = TeamTree.load(program.org)
    closed = closed_at(program)
    end = end_of(program, closed)
    launched = program.launched_at
    checkpoints = [
        _checkpoint(
            program, key, label, launched + dt.timedelta(days=days) if launched else None, end
        )  # fmt: skip
        for key, days, label in CHECKPOINTS
    ]
    checkpoints.append(_checkpoint(program, "end", END_LABEL, end if launched else None, end))
    return {
        "launched_at": launched.isoformat() if launched else None,
        "closed_at": closed.isoformat() if closed else None,
        "end": end.isoformat(),
        "anonymous": program.pulse_anonymous,
        "practices": practices(program, tree),
        "checkpoints": checkpoints,
        "targets": _targets(program, end),
        "speed": _speed(program, end),
    }


# --- reading a stored retrospective --------------------------------------------------------


def visible_retrospectives(membership: Membership) -> list[Retrospective]:
    """The measured retrospectives of the closed programs a member may see, latest end
    first (one query)."""
    records = (
        Retrospective.objects.for_org(membership.org)
        .filter(
            program__status=ProgramStatus.CLOSED,
            program__in=visible_programs(membership).values("pk"),
            version__gte=VERSION,
        )
        .select_related("program__org")
    )
    return sorted(records, key=lambda r: (r.data.get("end") or "", r.pk), reverse=True)


@dataclass(frozen=True)
class Point:
    """One checkpoint of the funnel, for the teams a member sees."""

    key: str
    label: str
    at: dt.datetime | None
    reached: bool
    rows: list[dict[str, Any]]
    total: funnel.Row | None

    @property
    def score(self) -> int | None:
        return self.total.score if self.total else None

    @property
    def short(self) -> str:
        return SHORT_LABELS.get(self.key, self.label)


def _applicable(raw: dict[str, Any]) -> funnel.Applicable:
    return funnel.Applicable(**raw)


def _total_of(rows: list[dict[str, Any]], scope: set[int], applicable: funnel.Applicable,
              anonymous: bool) -> funnel.Row:  # fmt: skip
    """The total of the visible teams: their top rows (a team whose parent is not visible)
    summed, then shares and score as the funnel computes them."""
    total = funnel.Row(team=None)
    for raw in rows:
        if raw["team_id"] in scope and raw["parent_id"] not in scope:
            part = funnel.Row(team=None, reps=raw["reps"], counts=dict(raw["counts"]),
                              delivering_reps=raw["delivering_reps"],
                              judged_reps=raw["judged_reps"],
                              targeted_reps=raw["targeted_reps"])  # fmt: skip
            total.add(part)
    return funnel.finish_row(total, applicable, anonymous)


def _point(raw: dict[str, Any], scope: set[int] | None, anonymous: bool) -> Point:
    at = dt.datetime.fromisoformat(raw["at"]) if raw.get("at") else None
    if not raw.get("reached"):
        return Point(raw["key"], raw["label"], at, False, [], None)
    applicable = _applicable(raw["applicable"])
    rows = raw["rows"]
    if scope is None:
        t = raw["total"]
        total = funnel.Row(team=None, reps=t["reps"], counts=dict(t["counts"]),
                           delivering_reps=t["delivering_reps"], judged_reps=t["judged_reps"],
                           targeted_reps=t["targeted_reps"])  # fmt: skip
        total = funnel.finish_row(total, applicable, anonymous)
    else:
        total = _total_of(rows, scope, applicable, anonymous)
        rows = [r for r in rows if r["team_id"] in scope]
    return Point(raw["key"], raw["label"], at, True, rows, total)


@dataclass(frozen=True)
class Retro:
    """A stored retrospective as one member sees it (`scope`: the teams they see, None for
    all)."""

    program: Program
    record: Retrospective
    scope: set[int] | None

    @classmethod
    def of(cls, record: Retrospective, scope: set[int] | None) -> Retro:
        return cls(record.program, record, scope)

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.record.data
        return data

    @property
    def practices(self) -> dict[str, Any]:
        return dict(self.data.get("practices", {}))

    @property
    def anonymous(self) -> bool:
        return bool(self.data.get("anonymous"))

    @property
    def points(self) -> list[Point]:
        return [_point(raw, self.scope, self.anonymous) for raw in self.data.get("checkpoints", [])]

    def point(self, key: str) -> Point | None:
        return next((p for p in self.points if p.key == key), None)

    @property
    def targets(self) -> list[dict[str, Any]]:
        rows = self.data.get("targets", [])
        if self.scope is not None:
            rows = [r for r in rows if r["team_id"] in self.scope]
        return list(rows)

    @property
    def attainment(self) -> int | None:
        """Percent of the judged targets (of the teams in scope) on track at the end."""
        judged = [t for t in self.targets if t["judged"]]
        if not judged:
            return None
        return round(100 * sum(1 for t in judged if t["on_track"]) / len(judged))

    @property
    def judged_targets(self) -> int:
        return sum(1 for t in self.targets if t["judged"])

    @property
    def speed(self) -> dict[str, Any]:
        """Speed-to-lead: overall, or summed over the teams in scope (the median then is the
        median of the teams' medians, said so on the page)."""
        raw = self.data.get("speed", {})
        if self.scope is None:
            return dict(raw.get("overall", {}))
        teams = [v for t, v in raw.get("teams", {}).items() if int(t) in self.scope]
        counted = sum(v["counted"] for v in teams)
        within = sum(v["within"] for v in teams)
        medians = [v["median_seconds"] for v in teams if v["median_seconds"] is not None]
        return {
            "total": sum(v["total"] for v in teams),
            "counted": counted,
            "within": within,
            "rejected": sum(v["rejected"] for v in teams),
            "within_share": round(100 * within / counted) if counted else None,
            "median_seconds": int(statistics.median(medians)) if medians else None,
            "median_of_teams": True,
        }

    @property
    def end(self) -> dt.datetime | None:
        end = self.data.get("end")
        return dt.datetime.fromisoformat(end) if end else None

    @property
    def end_day(self) -> dt.date | None:
        """The last day the results count (the program's end date, or the day it closed)."""
        end = self.end
        if end is None:
            return None
        return timezone.localdate(end - dt.timedelta(microseconds=1), self.program.org.tzinfo)
