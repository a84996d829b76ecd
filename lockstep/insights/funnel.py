"""The sell-in funnel and the Lockstep score (docs/lockstep-score.md).

Per rep, six stages: Informed, Trained, Understood, Bought in, Executing, Delivering.
Everything is counted by the database: one query annotates each audience rep with the
stages they reached, one more groups them by team. Rolling teams up into their parents
works on the (few) team rows, never on events."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from lockstep.core.models import ActivityEvent
from lockstep.core.permissions import Role
from lockstep.enablement.models import CheckAttempt, TrainingCompletion
from lockstep.feedback.models import PulseResponse
from lockstep.orgs.models import Membership, Team
from lockstep.programs.models import KnowledgeCheck, Program
from lockstep.programs.selectors import audience_team_ids
from lockstep.results.metrics import delivering_team_ids
from lockstep.results.models import Lead

STAGES = ["informed", "trained", "understood", "bought_in", "executing", "delivering"]
STAGE_LABELS = {
    "informed": "Informed",
    "trained": "Trained",
    "understood": "Understood",
    "bought_in": "Bought in",
    "executing": "Executing",
    "delivering": "Delivering",
}
# How much each stage weighs in the Lockstep score; stages without data are left out and
# the remaining weights are scaled back up to 100.
SCORE_WEIGHTS = {
    "informed": 10,
    "trained": 15,
    "understood": 20,
    "bought_in": 20,
    "executing": 20,
    "delivering": 15,
}
BOUGHT_IN_AVERAGE = 4.0
# What counts as executing a program that has no CRM leads: using its kit in the field.
PROGRAM_ACTIVITY = ["asset.viewed", "asset.downloaded"]


@dataclass(frozen=True)
class Applicable:
    """Which stages have data for this program (the rest show "no data yet", never 0%)."""

    trained: bool
    understood: bool
    bought_in: bool
    executing: bool = False  # the program has leads assigned to reps
    delivering: bool = False  # the program has targets and CRM results

    def has(self, stage: str) -> bool:
        return stage == "informed" or bool(getattr(self, stage))


def applicable(program: Program) -> Applicable:
    check = KnowledgeCheck.objects.filter(program=program).first()
    return Applicable(
        trained=program.training.filter(required=True).exists(),
        understood=check is not None and check.questions.exists(),
        bought_in=program.pulse_rounds.exists(),
        executing=has_leads(program)
        or ActivityEvent.objects.filter(program=program, verb__in=PROGRAM_ACTIVITY).exists(),
        delivering=delivering_team_ids(program) is not None,
    )


def has_leads(program: Program) -> bool:
    return Lead.objects.filter(program=program, rep__isnull=False).exists()


def annotated_reps(program: Program, team_ids: set[int]) -> QuerySet[Membership]:
    """Audience reps, each annotated with a boolean per stage (one SQL query)."""
    user = OuterRef("user")
    program_leads = Lead.objects.filter(program=program, rep=user).values("rep")
    lead_count = program_leads.annotate(n=Count("id")).values("n")
    within = (
        program_leads.filter(first_touch_at__lte=F("sla_due_at"))
        .annotate(n=Count("id"))
        .values("n")
    )
    delivering = delivering_team_ids(program) or set()
    required = program.training.filter(required=True).count()
    completions = (
        TrainingCompletion.objects.filter(item__program=program, item__required=True, user=user)
        .values("user")
        .annotate(n=Count("id"))
        .values("n")
    )
    latest_pulse = (
        PulseResponse.objects.filter(program=program, user=user)
        .order_by("-updated_at", "-id")
        .annotate(
            avg=Cast(F("understand") + F("helps") + F("next_steps"), FloatField()) / Value(3.0)
        )
        .values("avg")[:1]
    )
    return (
        Membership.objects.filter(
            org=program.org, role__in=[Role.REP, Role.PARTNER_REP], team_id__in=team_ids
        )
        .annotate(
            informed=Exists(
                ActivityEvent.objects.filter(
                    program=program, actor=user, verb__in=["brief.opened", "brief.acknowledged"]
                )
            ),
            completed=Coalesce(Subquery(completions, output_field=IntegerField()), 0),
            understood=Exists(
                CheckAttempt.objects.filter(
                    knowledge_check__program=program, user=user, passed=True
                )
            ),
            pulse=Subquery(latest_pulse, output_field=FloatField()),
            leads=Coalesce(Subquery(lead_count, output_field=IntegerField()), 0),
            leads_within=Coalesce(Subquery(within, output_field=IntegerField()), 0),
        )
        .annotate(
            trained=Q(completed__gte=required) if required else Value(False),
            bought_in=Q(pulse__gte=BOUGHT_IN_AVERAGE),
            # at least 90 % of the rep's program leads first touched within the SLA; for a
            # program without leads, having used its kit in the field
            executing=Q(leads__gt=0) & Q(leads_within__gte=F("leads") * 0.9)
            if has_leads(program)
            else Exists(
                ActivityEvent.objects.filter(program=program, actor=user, verb__in=PROGRAM_ACTIVITY)
            ),
            delivering=Q(team_id__in=delivering) if delivering else Value(False),
        )
    )


@dataclass
class Row:
    """Funnel counts for a team (its own reps plus every sub-team) or the whole program."""

    team: Team | None
    depth: int = 0
    reps: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    shares: dict[str, float | None] = field(default_factory=dict)
    score: int | None = None

    @property
    def heat(self) -> dict[str, str]:
        """A colour bucket per stage for the heatmap: h0 … h10, or nodata."""
        return {
            s: "nodata" if v is None or not self.reps else f"h{int(v // 10)}"
            for s, v in self.shares.items()
        }

    @property
    def label(self) -> str:
        return self.team.name if self.team else "All audience teams"


def _finish(row: Row, ok: Applicable) -> Row:
    row.shares = {
        s: (round(100 * row.counts[s] / row.reps, 1) if row.reps else 0.0) if ok.has(s) else None
        for s in STAGES
    }
    row.score = lockstep_score(row.shares) if row.reps else None
    return row


def lockstep_score(shares: dict[str, float | None]) -> int:
    """Weighted mean of the stage percentages that have data, 0–100."""
    weights = {s: w for s, w in SCORE_WEIGHTS.items() if shares.get(s) is not None}
    total = sum(weights.values())
    if not total:
        return 0
    return round(sum(float(shares[s] or 0) * w for s, w in weights.items()) / total)


def program_funnel(program: Program, only_team_ids: set[int] | None = None) -> dict[str, Any]:
    """Rows per audience team (rolled up through sub-teams), and the program total."""
    ok = applicable(program)
    audience = audience_team_ids(program)
    per_team = (
        annotated_reps(program, audience)
        .values("team_id")
        .annotate(
            n=Count("id"),
            **{f"c_{s}": Count("id", filter=Q(**{s: True})) for s in STAGES},
        )
        .order_by()
    )
    direct: dict[int, dict[str, Any]] = {r["team_id"]: dict(r) for r in per_team}
    teams = {t.pk: t for t in Team.objects.filter(pk__in=audience)}
    children: dict[int | None, list[int]] = defaultdict(list)
    for team in sorted(teams.values(), key=lambda t: t.name):
        parent = team.parent_id if team.parent_id in teams else None
        children[parent].append(team.pk)
    rows: list[Row] = []
    total = Row(team=None)

    def walk(team_id: int, depth: int) -> Row:
        row = Row(team=teams[team_id], depth=depth)
        rows.append(row)
        own = direct.get(team_id)
        if own:
            row.reps += own["n"]
            for s in STAGES:
                row.counts[s] += own[f"c_{s}"]
        for child in children.get(team_id, []):
            sub = walk(child, depth + 1)
            row.reps += sub.reps
            for s in STAGES:
                row.counts[s] += sub.counts[s]
        _finish(row, ok)
        return row

    for root in children.get(None, []):
        top = walk(root, 0)
        total.reps += top.reps
        for s in STAGES:
            total.counts[s] += top.counts[s]
    _finish(total, ok)
    if only_team_ids is not None:
        rows = [r for r in rows if r.team and r.team.pk in only_team_ids]
        total = _finish(
            _sum_rows([r for r in rows if r.team and r.team.parent_id not in only_team_ids], ok), ok
        )
    return {
        "rows": rows,
        "total": total,
        "applicable": ok,
        "stages": STAGES,
        "labels": STAGE_LABELS,
    }


def _sum_rows(rows: list[Row], ok: Applicable) -> Row:
    total = Row(team=None)
    for row in rows:
        total.reps += row.reps
        for s in STAGES:
            total.counts[s] += row.counts[s]
    return total


def team_reps(program: Program, team_ids: set[int]) -> list[dict[str, Any]]:
    """The reps of some teams with the stages each reached and what each is missing."""
    ok = applicable(program)
    reps = (
        annotated_reps(program, team_ids)
        .select_related("user", "team")
        .order_by("team__name", "user__last_name", "user__first_name")
    )
    result = []
    for rep in reps:
        reached = {s: bool(getattr(rep, s, False)) for s in STAGES}
        missing = [STAGE_LABELS[s] for s in STAGES if ok.has(s) and not reached[s]]
        result.append(
            {
                "member": rep,
                "reached": reached,
                "missing": missing,
                "pulse": getattr(rep, "pulse", None),
            }
        )
    return result
