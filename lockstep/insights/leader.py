"""The sales leader's home (docs/insights.md): my teams and my reps across the live
programs, who is behind on what (with one-click reminders), and what is coming to my teams
that waits for me — a preview to look at, an endorsement, a target to acknowledge.

Only the leader's teams (and their sub-teams) are counted or named. The funnel for every
live program is computed at once (`funnel.load_many`, `team_counts_many`,
`team_reps_many`): a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from lockstep.core.charts import BLUE, Series, bar_chart
from lockstep.core.csvexport import Table
from lockstep.insights import funnel
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import TeamTree, leader_team_ids
from lockstep.programs.models import Endorsement, Program, ProgramStatus, Target, TargetStatus
from lockstep.programs.selectors import (
    LOAD_COLUMNS,
    load_table_rows,
    month_starts,
    team_load,
    visible_programs,
    with_training_minutes,
)

LOAD_MONTHS = 3

# What a rep can be reminded to do, by the stage they miss (Bought in is never nagged,
# Delivering is the team's).
REMINDABLE = {
    "informed": "Read the brief and confirm you have read it",
    "trained": "Complete the required training",
    "understood": "Pass the knowledge check",
    "executing": "Answer your program leads within the SLA",
}


@dataclass
class RepLine:
    membership_id: int
    user_id: int
    name: str
    team_name: str
    cells: dict[int, dict[str, Any]] = field(default_factory=dict)  # program id → rep row

    @property
    def behind(self) -> int:
        return sum(1 for c in self.cells.values() if c["rep_missing"])


def todo_of(rep: dict[str, Any]) -> list[str]:
    """What a rep can be reminded to do, from their funnel row."""
    return [text for stage, text in REMINDABLE.items() if rep["reached"].get(stage) is False]


def leader_home(membership: Membership) -> dict[str, Any]:
    org = membership.org
    tree = TeamTree.load(org)
    mine = leader_team_ids(membership, tree)
    pending_targets = (
        Target.objects.filter(program=OuterRef("pk"), team_id__in=mine, status=TargetStatus.PENDING)
        .values("program")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    programs: list[Program] = list(
        with_training_minutes(visible_programs(membership, tree))
        .filter(archived_at__isnull=True)
        .exclude(status=ProgramStatus.CLOSED)
        .annotate(
            **funnel.facts_annotations(),
            i_endorsed=Exists(
                Endorsement.objects.filter(program=OuterRef("pk"), leader_id=membership.user_id)
            ),
            pending_targets=Coalesce(Subquery(pending_targets, output_field=IntegerField()), 0),
        )
        .select_related("org", "owner")
        .prefetch_related("audience")
        .order_by("launch_date", "name")
    )
    live = [p for p in programs if p.status == ProgramStatus.LIVE]
    contexts = funnel.load_many(live, tree=tree)
    ctx_list = [contexts[p.pk] for p in live]
    counts = funnel.team_counts_many(ctx_list, mine)
    reps_by_program = funnel.team_reps_many(ctx_list, mine)
    columns = []
    for program in live:
        data = funnel.program_funnel(
            program, only_team_ids=mine, ctx=contexts[program.pk], counts=counts[program.pk]
        )
        columns.append({"program": program, "total": data["total"], "rows": data["rows"]})
    teams: dict[int, dict[str, Any]] = {}
    for column in columns:
        for row in column["rows"]:
            if row.team is None:
                continue
            entry = teams.setdefault(
                row.team.pk, {"team": row.team, "depth": row.depth, "scores": {}}
            )
            entry["scores"][column["program"].pk] = row
    order = _tree_order(tree, mine)
    team_rows = sorted(teams.values(), key=lambda e: order.get(e["team"].pk, len(order)))
    reps: dict[int, RepLine] = {}
    for program in live:
        for rep in reps_by_program[program.pk]:
            line = reps.setdefault(
                rep["membership_id"],
                RepLine(rep["membership_id"], rep["user_id"], rep["name"], rep["team_name"]),
            )
            # Delivering is the team's, not the rep's: it is in the team table above
            mine_missing = [m for m in rep["missing"] if m != funnel.STAGE_LABELS["delivering"]]
            line.cells[program.pk] = {**rep, "todo": todo_of(rep), "rep_missing": mine_missing}
    rep_lines = sorted(reps.values(), key=lambda r: (-r.behind, r.team_name, r.name))
    waiting = [
        p
        for p in programs
        if p.status in (ProgramStatus.PREVIEW, ProgramStatus.READY, ProgramStatus.LIVE)
        and (
            bool(getattr(p, "pending_targets", 0))
            or (p.status != ProgramStatus.LIVE and not getattr(p, "i_endorsed", False))
            or p.status == ProgramStatus.PREVIEW
        )
    ]
    today = timezone.localdate(timezone=org.tzinfo)
    months = month_starts(today.replace(day=1), LOAD_MONTHS)
    load_rows = team_load(programs, tree, months, mine, org.max_training_minutes)
    month_labels = [f"{m:%b %Y}" for m in months]
    chart = None
    if columns:
        behind = [sum(1 for r in reps_by_program[c["program"].pk] if todo_of(r)) for c in columns]
        chart = bar_chart(
            "leader-behind",
            labels=[c["program"].name for c in columns],
            series=[Series("Reps with something to catch up", behind, color=BLUE)],
            label="Reps of your teams with something left to do, per live program: "
            + "; ".join(f"{c['program'].name} {n}" for c, n in zip(columns, behind, strict=True)),
            caption="Reps of your teams who have not read the brief, trained, passed the "
            "check or answered their leads in time.",
            horizontal=True,
        )
    live_ids = [p.pk for p in live]
    stage_labels = [funnel.STAGE_LABELS[s] for s in funnel.STAGES]
    tables = [
        Table(
            "teams",
            "my-teams-by-program",
            ["Team", "Program", "Reps", *stage_labels, "Lockstep score"],
            [
                [
                    entry["team"].name,
                    column["program"].name,
                    row.reps,
                    *[
                        row.shares[s] if row.shares[s] is not None else row.why.get(s, "")
                        for s in funnel.STAGES
                    ],
                    row.score,
                ]
                for entry in team_rows
                for column in columns
                if (row := entry["scores"].get(column["program"].pk)) is not None
            ],
        ),  # fmt: skip
        Table(
            "reps",
            "my-reps-by-program",
            ["Rep", "Team", "Program", *stage_labels, "Missing"],
            [
                [
                    line.name,
                    line.team_name,
                    column["program"].name,
                    *[_mark(cell["reached"][s]) for s in funnel.STAGES],
                    ", ".join(cell["missing"]),
                ]
                for line in rep_lines
                for column in columns
                if (cell := line.cells.get(column["program"].pk)) is not None
            ],
        ),  # fmt: skip
        Table(
            "load",
            "my-teams-load",
            LOAD_COLUMNS,
            load_table_rows(load_rows, month_labels),
        ),  # fmt: skip
    ]
    return {
        "columns": columns,
        "live_ids": live_ids,
        "team_rows": team_rows,
        "rep_lines": rep_lines,
        "waiting": waiting,
        "load_rows": load_rows,
        "months": months,
        "month_labels": month_labels,
        "chart": chart,
        "tables": tables,
        "stages": funnel.STAGES,
        "labels": funnel.STAGE_LABELS,
        "led_count": len(mine),
    }


def _mark(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "no")


def _tree_order(tree: TeamTree, teams: set[int]) -> dict[int, int]:
    roots = sorted(
        (t for t in teams if tree.parents.get(t) not in teams), key=lambda t: tree.names[t]
    )
    return {t: i for i, (t, _) in enumerate(tree.depth_first(roots))}
