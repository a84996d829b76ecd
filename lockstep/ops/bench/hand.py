"""The bench's baseline: the funnel and results figures of a program computed by
hand-written SQL, from the rules in docs/lockstep-score.md, independently of the product's
code (no product helper is called: the windows, the judgement of targets, the roll-up of
teams and the score are re-implemented here from the document).

The SQL is written for both SQLite and PostgreSQL (plain CTEs, CASE, EXISTS, window
functions); Django's cursor only passes the parameters. The heavy parts are one query each:
the stage of every audience rep grouped by team (as of `now`: what happened later does not
count, as in the product), the targets' actuals per team, the
speed-to-lead aggregates per rep (team and program totals are summed from them), the
median first touch, the rejection reasons. Python only adds the (few) team rows up the
tree and does the arithmetic on the counts."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection

from lockstep.ops.bench.figures import FunnelFigures, ResultsFigures, RowFigures, TargetFigures

STAGES = ["informed", "trained", "understood", "bought_in", "executing", "delivering"]
WEIGHTS = {
    "informed": 10,
    "trained": 15,
    "understood": 20,
    "bought_in": 20,
    "executing": 20,
    "delivering": 15,
}
COUNTED = [
    "informed",
    "trained",
    "understood",
    "bought_in",
    "answered_pulse",
    "executing",
    "exec_applicable",
]
COUNT_METRICS = {"leads_worked", "meetings", "opportunities"}
MIN_ANSWERS = 5  # an anonymous pulse shows no Bought in on fewer answers

PROGRAM_SQL = """
SELECT p.org_id, o.time_zone, p.launch_date, p.end_date, p.pulse_anonymous,
  (SELECT COUNT(*) FROM programs_trainingitem i WHERE i.program_id = p.id AND i.required = %s),
  EXISTS (SELECT 1 FROM programs_checkquestion q
          JOIN programs_knowledgecheck k ON k.id = q.knowledge_check_id
          WHERE k.program_id = p.id),
  EXISTS (SELECT 1 FROM programs_pulseround r WHERE r.program_id = p.id),
  EXISTS (SELECT 1 FROM results_lead l WHERE l.program_id = p.id AND l.rep_id IS NOT NULL),
  EXISTS (SELECT 1 FROM core_activityevent e
          WHERE e.program_id = p.id AND e.verb IN ('asset.viewed', 'asset.downloaded'))
FROM programs_program p JOIN orgs_organization o ON o.id = p.org_id
WHERE p.id = %s
"""

TEAMS_SQL = "SELECT id, parent_id FROM orgs_team WHERE org_id = %s"
AUDIENCE_SQL = "SELECT team_id FROM programs_program_audience WHERE program_id = %s"

# The audience reps of a program, each with the stages reached, grouped by team.
# Parameters: program, org, program (completions), True (required), then the leads part.
STAGES_SQL = """
WITH RECURSIVE audience(id) AS (
  SELECT team_id FROM programs_program_audience WHERE program_id = %(program)s
  UNION
  SELECT t.id FROM orgs_team t JOIN audience a ON t.parent_id = a.id
),
reps AS (
  SELECT m.user_id, m.team_id FROM orgs_membership m
  WHERE m.org_id = %(org)s AND m.role IN ('rep', 'partner_rep')
    AND m.team_id IN (SELECT id FROM audience)
),
done AS (
  SELECT c.user_id, COUNT(*) AS n
  FROM enablement_trainingcompletion c JOIN programs_trainingitem i ON i.id = c.item_id
  WHERE i.program_id = %(program)s AND i.required = %(true)s AND c.completed_at <= %(now)s
  GROUP BY c.user_id
),
lead_rows AS (
  SELECT l.rep_id, l.status, l.sla_due_at,
    COALESCE(l.first_touch_at,
      (SELECT MIN(e.occurred_at) FROM core_activityevent e
       WHERE e.object_type = 'lead' AND e.object_id = l.id AND e.verb = 'lead.rejected')
    ) AS answered_at
  FROM results_lead l
  WHERE l.program_id = %(program)s AND l.rep_id IS NOT NULL AND l.created_at <= %(now)s
),
judged_leads AS (
  SELECT rep_id, answered_at, sla_due_at FROM lead_rows
  WHERE (answered_at <= %(now)s AND sla_due_at IS NOT NULL)
     OR (sla_due_at < %(now)s AND (answered_at > %(now)s
                                   OR (answered_at IS NULL AND status = 'new')))
),
lead_counts AS (
  SELECT rep_id AS user_id, COUNT(*) AS counted,
    SUM(CASE WHEN answered_at <= sla_due_at THEN 1 ELSE 0 END) AS in_time
  FROM judged_leads GROUP BY rep_id
),
kit_counts AS (
  SELECT r.user_id, %(kit_counted)s AS counted,
    CASE WHEN EXISTS (SELECT 1 FROM core_activityevent e
                      WHERE e.program_id = %(program)s AND e.actor_id = r.user_id
                        AND e.verb IN ('asset.viewed', 'asset.downloaded')
                        AND e.occurred_at <= %(now)s)
    THEN 1 ELSE 0 END AS in_time
  FROM reps r
),
per_rep AS (
  SELECT r.team_id,
    CASE WHEN EXISTS (SELECT 1 FROM core_activityevent e
                      WHERE e.program_id = %(program)s AND e.actor_id = r.user_id
                        AND e.verb IN ('brief.opened', 'brief.acknowledged')
                        AND e.occurred_at <= %(now)s)
    THEN 1 ELSE 0 END AS informed,
    CASE WHEN %(required)s > 0 AND COALESCE(d.n, 0) >= %(required)s THEN 1 ELSE 0 END AS trained,
    CASE WHEN EXISTS (SELECT 1 FROM enablement_checkattempt a
                      JOIN programs_knowledgecheck k ON k.id = a.knowledge_check_id
                      WHERE k.program_id = %(program)s AND a.user_id = r.user_id
                        AND a.passed = %(true)s AND a.submitted_at <= %(now)s)
    THEN 1 ELSE 0 END AS understood,
    (SELECT p.understand + p.helps + p.next_steps FROM feedback_pulseresponse p
     WHERE p.program_id = %(program)s AND p.user_id = r.user_id AND p.updated_at <= %(now)s
     ORDER BY p.updated_at DESC, p.id DESC LIMIT 1) AS pulse,
    COALESCE(x.counted, 0) AS counted, COALESCE(x.in_time, 0) AS in_time
  FROM reps r
  LEFT JOIN done d ON d.user_id = r.user_id
  LEFT JOIN {executing} x ON x.user_id = r.user_id
)
SELECT team_id, COUNT(*), SUM(informed), SUM(trained), SUM(understood),
  SUM(CASE WHEN pulse >= 12 THEN 1 ELSE 0 END),
  SUM(CASE WHEN pulse IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN counted > 0 AND 10 * in_time >= 9 * counted THEN 1 ELSE 0 END),
  SUM(CASE WHEN counted > 0 THEN 1 ELSE 0 END)
FROM per_rep GROUP BY team_id
"""
STAGES_WITH_LEADS = STAGES_SQL.replace("{executing}", "lead_counts")
STAGES_WITH_KIT = STAGES_SQL.replace("{executing}", "kit_counts")

TARGETS_SQL = """
SELECT id, team_id, metric, period, value FROM programs_target WHERE program_id = %s
"""

# Actuals per selling team (the rep's team), one query per source for the three kinds of
# window at once (whole program, month, quarter): [start, end) instants for what happened
# at a moment, [first day, last day] for close dates. A window not judged is empty.
PERIODS = ("program", "month", "quarter")


def _per_period(column: str) -> str:
    return ",\n  ".join(column.replace("{p}", p) for p in PERIODS)


IN_WINDOW = "{column} >= %({p}_start)s AND {column} < %({p}_end)s"
WON = (
    "o.outcome = 'won' AND (o.close_date BETWEEN %({p}_first)s AND %({p}_last)s "
    "OR (o.close_date IS NULL AND " + IN_WINDOW.format(column="o.created_at", p="{p}") + "))"
)
LEAD_ACTUALS_SQL = (  # noqa: S608 — constant text
    "SELECT m.team_id,\n  "
    + _per_period(
        "SUM(CASE WHEN "
        + IN_WINDOW.format(column="l.first_touch_at", p="{p}")
        + " THEN 1 ELSE 0 END)"
    )
    + """
FROM results_lead l JOIN orgs_membership m ON m.org_id = %(org)s AND m.user_id = l.rep_id
WHERE l.program_id = %(program)s AND l.first_touch_at IS NOT NULL
GROUP BY m.team_id"""
)
MEETING_ACTUALS_SQL = (  # noqa: S608 — constant text
    "SELECT m.team_id,\n  "
    + _per_period(
        "SUM(CASE WHEN " + IN_WINDOW.format(column="t.at", p="{p}") + " THEN 1 ELSE 0 END)"
    )
    + """
FROM results_lead l
JOIN results_leadtouch t ON t.lead_id = l.id AND t.kind = 'meeting'
JOIN orgs_membership m ON m.org_id = %(org)s AND m.user_id = t.rep_id
WHERE l.program_id = %(program)s
GROUP BY m.team_id"""
)
OPPORTUNITY_ACTUALS_SQL = (  # noqa: S608 — constant text
    "SELECT m.team_id,\n  "
    + _per_period(
        "SUM(CASE WHEN "
        + IN_WINDOW.format(column="o.created_at", p="{p}")
        + " THEN 1 ELSE 0 END),\n  "
        "SUM(CASE WHEN "
        + IN_WINDOW.format(column="o.created_at", p="{p}")
        + " AND o.outcome = 'open' THEN o.amount ELSE 0 END),\n  "
        "SUM(CASE WHEN " + WON + " THEN o.amount ELSE 0 END),\n  "
        "SUM(CASE WHEN " + WON + " THEN o.quantity ELSE 0 END)"
    )
    + """
FROM results_opportunity o
JOIN orgs_membership m ON m.org_id = %(org)s AND m.user_id = o.owner_id
WHERE o.program_id = %(program)s
GROUP BY m.team_id"""
)

# Speed-to-lead per rep (with the rep's team); team and program figures are sums of these.
SLA_SQL = """
SELECT x.rep_id, m.team_id, u.first_name, u.last_name, u.email,
  COUNT(*),
  SUM(CASE WHEN x.first_touch_at IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN (x.answered_at <= %(now)s AND x.sla_due_at IS NOT NULL)
            OR (x.sla_due_at < %(now)s AND (x.answered_at > %(now)s
                                          OR (x.answered_at IS NULL AND x.status = 'new')))
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN x.answered_at <= %(now)s AND x.answered_at <= x.sla_due_at THEN 1 ELSE 0 END),
  SUM(CASE WHEN x.answered_at IS NULL AND x.status = 'new' AND x.sla_due_at >= %(now)s
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN x.status = 'rejected' THEN 1 ELSE 0 END),
  SUM(x.first_touch_seconds), COUNT(x.first_touch_seconds)
FROM (
  SELECT l.rep_id, l.status, l.sla_due_at, l.first_touch_at, l.first_touch_seconds,
    COALESCE(l.first_touch_at,
      (SELECT MIN(e.occurred_at) FROM core_activityevent e
       WHERE e.object_type = 'lead' AND e.object_id = l.id AND e.verb = 'lead.rejected')
    ) AS answered_at
  FROM results_lead l WHERE l.program_id = %(program)s
) x
LEFT JOIN accounts_user u ON u.id = x.rep_id
LEFT JOIN orgs_membership m ON m.org_id = %(org)s AND m.user_id = x.rep_id
GROUP BY x.rep_id, m.team_id, u.first_name, u.last_name, u.email
"""
MEDIAN_SQL = """
SELECT AVG(s) FROM (
  SELECT first_touch_seconds AS s,
    ROW_NUMBER() OVER (ORDER BY first_touch_seconds) AS n, COUNT(*) OVER () AS c
  FROM results_lead WHERE program_id = %s AND first_touch_seconds IS NOT NULL
) ranked
WHERE n IN ((c + 1) / 2, (c + 2) / 2)
"""
REASONS_SQL = """
SELECT r.label, COUNT(*) FROM results_lead l
LEFT JOIN results_rejectionreason r ON r.id = l.rejection_reason_id
WHERE l.program_id = %s AND l.status = 'rejected'
GROUP BY r.label
"""


def _rows(sql: str, params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(str(value))


def _instant(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _day(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


@dataclass(frozen=True)
class Program:
    id: int
    org_id: int
    tz: zoneinfo.ZoneInfo
    launch: dt.date | None
    end: dt.date | None
    anonymous: bool
    required: int
    has_check: bool
    has_pulse: bool
    has_leads: bool
    has_kit_use: bool


def load_program(program_id: int) -> Program:
    (row,) = _rows(PROGRAM_SQL, [True, program_id])
    org_id, tz, launch, end, anonymous, required, check, pulse, leads, kit = row
    return Program(
        program_id,
        org_id,
        zoneinfo.ZoneInfo(tz),
        _date(launch),
        _date(end),
        bool(anonymous),
        int(required),
        bool(check),
        bool(pulse),
        bool(leads),
        bool(kit),
    )


class Tree:
    def __init__(self, org_id: int) -> None:
        self.children: dict[int | None, list[int]] = defaultdict(list)
        self.parent: dict[int, int | None] = {}
        for team_id, parent_id in _rows(TEAMS_SQL, [org_id]):
            self.parent[team_id] = parent_id
            self.children[parent_id].append(team_id)

    def below(self, team_ids: list[int] | set[int]) -> set[int]:
        found: set[int] = set()
        stack = [t for t in team_ids if t in self.parent]
        while stack:
            team_id = stack.pop()
            if team_id not in found:
                found.add(team_id)
                stack.extend(self.children.get(team_id, []))
        return found


# --- targets ----------------------------------------------------------------------------------


def window(period: str, program: Program, today: dt.date) -> tuple[dt.date, ...] | str:
    """(first day, last day, period's first day, period's last day), or why not judged."""
    if program.launch is None or today < program.launch:
        return "not_launched"
    day = min(today, program.end) if program.end else today
    if period == "program":
        if program.end is None:
            return "no_end_date"
        return (program.launch, day, program.launch, program.end)
    if period == "month":
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    else:
        month = 3 * ((day.month - 1) // 3) + 1
        first = dt.date(day.year, month, 1)
        following = dt.date(day.year + (month == 10), (month + 2) % 12 + 1, 1)
        last = following - dt.timedelta(days=1)
    return (max(first, program.launch), day, first, last)


def _half_even_cents(value: Fraction) -> Decimal:
    cents = value * 100
    whole = math.floor(cents)
    rest = cents - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2):
        whole += 1
    return Decimal(whole) / 100


def targets(program: Program, tree: Tree, today: dt.date) -> dict[int, TargetFigures]:
    """Each target's actual over its window, what was expected so far, and the verdict."""
    rows = _rows(TARGETS_SQL, [program.id])
    windows = {p: window(p, program, today) for p in PERIODS}
    params: dict[str, Any] = {"org": program.org_id, "program": program.id}
    never = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for period, span in windows.items():
        if isinstance(span, str):  # not judged: an empty window
            start = end = never
            first, last = dt.date(2000, 1, 2), dt.date(2000, 1, 1)
        else:
            first, last = span[0], span[1]
            start = dt.datetime.combine(first, dt.time.min, tzinfo=program.tz)
            end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=program.tz)
        params.update(
            {
                f"{period}_start": _instant(start),
                f"{period}_end": _instant(end),
                f"{period}_first": _day(first),
                f"{period}_last": _day(last),
            }
        )
    metrics = {metric for _, _, metric, _, _ in rows}
    actuals: dict[tuple[str, str], dict[int, Decimal]] = {}
    sources = [
        ("leads_worked", LEAD_ACTUALS_SQL, ("leads_worked",)),
        ("meetings", MEETING_ACTUALS_SQL, ("meetings",)),
        (
            "opportunities",
            OPPORTUNITY_ACTUALS_SQL,
            ("opportunities", "pipeline", "won_revenue", "units"),
        ),
    ]
    for _, sql, names in sources:
        if not metrics & set(names):
            continue
        for row in _rows(sql, params):
            values = iter(row[1:])
            for period in PERIODS:
                for name in names:
                    actuals.setdefault((period, name), {})[row[0]] = _decimal(next(values))
    out = {}
    for target_id, team_id, metric, period, value in rows:
        by_team = actuals.get((period, metric), {})
        actual = sum((by_team.get(t, Decimal(0)) for t in tree.below([team_id])), Decimal(0))
        span = windows[period]
        if isinstance(span, str):
            out[target_id] = TargetFigures(team_id, actual, None, span)
            continue
        elapsed = (span[1] - span[0]).days + 1
        if elapsed <= 7:  # "nothing is judged during the first 7 days of a window"
            out[target_id] = TargetFigures(team_id, actual, None, "too_early")
            continue
        raw = Fraction(str(value)) * elapsed / ((span[3] - span[2]).days + 1)
        expected = Decimal(math.ceil(raw)) if metric in COUNT_METRICS else _half_even_cents(raw)
        verdict = "on_track" if actual >= expected else "behind"
        out[target_id] = TargetFigures(team_id, actual, expected, verdict)
    return out


# --- the funnel ----------------------------------------------------------------------------------


def funnel(program_id: int, now: dt.datetime) -> FunnelFigures:
    program = load_program(program_id)
    tree = Tree(program.org_id)
    audience = tree.below([t for (t,) in _rows(AUDIENCE_SQL, [program.id])])
    progress = targets(program, tree, now.astimezone(program.tz).date())
    params = {
        "program": program.id,
        "org": program.org_id,
        "true": True,
        "required": program.required,
        "now": _instant(now),
        "kit_counted": 1 if program.has_kit_use else 0,
    }
    sql = STAGES_WITH_LEADS if program.has_leads else STAGES_WITH_KIT
    direct = {row[0]: [int(v or 0) for v in row[1:]] for row in _rows(sql, params)}
    judged: set[int] = set()
    failed: set[int] = set()
    targeted: set[int] = set()
    for t in progress.values():
        covered = tree.below([t.team_id])
        targeted |= covered
        if t.judgement in ("on_track", "behind"):
            judged |= covered
            if t.judgement == "behind":
                failed |= covered
    delivering = judged - failed
    has = {
        "informed": True,
        "trained": program.required > 0,
        "understood": program.has_check,
        "bought_in": program.has_pulse,
        "executing": True,
        "delivering": bool(judged & audience),
    }
    rows: dict[int, RowFigures] = {}

    def sums(team_ids: set[int]) -> tuple[int, list[int], int, int, int]:
        reps, counts, deliver, judge, target = 0, [0] * len(COUNTED), 0, 0, 0
        for team_id in team_ids:
            own = direct.get(team_id)
            if not own:
                continue
            reps += own[0]
            counts = [a + b for a, b in zip(counts, own[1:], strict=True)]
            deliver += own[0] if team_id in delivering else 0
            judge += own[0] if team_id in judged else 0
            target += own[0] if team_id in targeted else 0
        return reps, counts, deliver, judge, target

    def depth(team_id: int) -> int:
        parent, level = tree.parent.get(team_id), 0
        while parent is not None and parent in audience:
            level, parent = level + 1, tree.parent.get(parent)
        return level

    for team_id in audience:
        rows[team_id] = _finish(depth(team_id), *sums(tree.below([team_id])), has, program)
    total = _finish(0, *sums(audience), has, program)
    return FunnelFigures(rows=rows, total=total, targets=progress)


def _finish(
    depth: int,
    reps: int,
    counts: list[int],
    delivering: int,
    judged: int,
    targeted: int,
    has: dict[str, bool],
    program: Program,
) -> RowFigures:
    by_name = dict(zip(COUNTED, counts, strict=True))
    bases = {
        "informed": reps,
        "trained": reps if has["trained"] else 0,
        "understood": reps if has["understood"] else 0,
        "bought_in": reps if has["bought_in"] else 0,
        "executing": by_name["exec_applicable"],
        "delivering": judged,
    }
    tops = {**by_name, "delivering": delivering}
    shares: dict[str, float | None] = {
        s: round(100 * tops[s] / bases[s], 1) if bases[s] else None for s in STAGES
    }
    hidden: tuple[str, ...] = ()
    if program.anonymous and has["bought_in"] and by_name["answered_pulse"] < MIN_ANSWERS:
        shares["bought_in"] = None
        hidden = ("bought_in",)
    score = None
    if reps:
        weights = {s: w for s, w in WEIGHTS.items() if shares[s] is not None}
        if weights:
            mean = sum(float(shares[s] or 0) * w for s, w in weights.items()) / sum(
                weights.values()
            )
            score = round(mean)
    return RowFigures(
        depth=depth,
        reps=reps,
        counts=tuple(counts),
        delivering_reps=delivering,
        judged_reps=judged,
        targeted_reps=targeted,
        shares=tuple(shares[s] for s in STAGES),
        score=score,
        hidden=hidden,
    )


# --- the results page ------------------------------------------------------------------------


def _sla(
    total: int, touched: int, counted: int, within: int, pending: int, rejected: int
) -> tuple[Any, ...]:
    return (
        total,
        touched,
        counted,
        within,
        pending,
        rejected,
        counted - within,
        round(100 * within / counted) if counted else None,
        round(100 * rejected / total) if total else None,
    )


def results(program_id: int, now: dt.datetime) -> ResultsFigures:
    program = load_program(program_id)
    tree = Tree(program.org_id)
    audience = tree.below([t for (t,) in _rows(AUDIENCE_SQL, [program.id])])
    selling = {t for t in audience if not tree.children.get(t)}
    found = _rows(SLA_SQL, {"now": _instant(now), "program": program.id, "org": program.org_id})
    columns = 6
    totals = [0] * columns
    teams: dict[int, list[int]] = defaultdict(lambda: [0] * (columns + 2))
    reps = []
    for rep_id, team_id, first, last, email, *figures in found:
        values = [int(v or 0) for v in figures]
        totals = [a + b for a, b in zip(totals, values[:columns], strict=True)]
        if rep_id is None:
            continue
        if team_id is not None:
            teams[team_id] = [a + b for a, b in zip(teams[team_id], values, strict=True)]
        name = f"{first or ''} {last or ''}".strip() or email
        seconds, timed = values[columns], values[columns + 1]
        average = int(seconds / timed) if timed and seconds else (0 if timed else None)
        reps.append((name, *_sla(*values[:columns]), average))
    reps.sort(key=lambda r: (-r[7], r[0]))
    ((median,),) = _rows(MEDIAN_SQL, [program.id])
    today = now.astimezone(program.tz).date()
    return ResultsFigures(
        teams={t: _sla(*v[:columns]) for t, v in teams.items() if t in selling},
        team_speed={
            t: (v[columns] / v[columns + 1] if v[columns + 1] else None)
            for t, v in teams.items()
            if t in selling
        },
        reps=reps[:200],
        summary=(*_sla(*totals), int(median) if median is not None else None),
        reasons={label: int(n) for label, n in _rows(REASONS_SQL, [program.id])},
        targets=targets(program, tree, today),
        lead_count=totals[0],
    )
