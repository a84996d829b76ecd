"""The sell-in funnel and the Lockstep score (docs/lockstep-score.md).

Per rep, six stages: Informed, Trained, Understood, Bought in, Executing, Delivering.
Everything is counted by the database in a constant number of queries, whatever the number
of teams, reps, targets or leads: one query annotates each audience rep with the stages they
reached and groups them by team, a few more read the program's facts and its targets'
actuals. Rolling teams up into their parents works on the (few) team rows, never on events.

Stages that do not apply are not failures: each stage has its own denominator (a rep with no
judgeable lead is not counted in Executing, a team without a judged target not in
Delivering), and a stage with no denominator shows "no data" and is left out of the score.
An anonymous pulse never shows a person's Bought in, and a group with fewer than five
answers shows no Bought in at all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
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
from django.utils import timezone

from lockstep.core.events import INFORMED_VERBS, KIT_USE_VERBS
from lockstep.core.models import ActivityEvent
from lockstep.core.permissions import SELLING_ROLES
from lockstep.enablement.models import CheckAttempt, TrainingCompletion
from lockstep.feedback.models import MIN_GROUP, PulseResponse
from lockstep.orgs.models import Membership, Team
from lockstep.orgs.selectors import TeamTree
from lockstep.programs.models import CheckQuestion, Program, PulseRound, TrainingItem
from lockstep.results.metrics import (
    EXECUTING_SHARE,
    IN_TIME,
    TargetProgress,
    counted_q,
    delivering_team_ids,
    targets_vs_actuals_many,
    with_answer_time,
)
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


@dataclass(frozen=True)
class Facts:
    """What the program has, read once per page (one query)."""

    required_training: int
    has_check: bool
    has_pulse: bool
    has_leads: bool
    has_kit_use: bool
    anonymous: bool


@dataclass(frozen=True)
class Applicable:
    """Which stages can have data for this program at all."""

    trained: bool
    understood: bool
    bought_in: bool
    executing: bool
    delivering: bool

    def has(self, stage: str) -> bool:
        return stage == "informed" or bool(getattr(self, stage))


def facts_annotations() -> dict[str, Any]:
    """What `Facts` reads, as annotations on a Program queryset (one query for any number
    of programs)."""
    required = TrainingItem.objects.filter(program=OuterRef("pk"), required=True)
    return {
        "n_required": Coalesce(
            Subquery(
                required.values("program").annotate(n=Count("id")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
        "has_check": Exists(CheckQuestion.objects.filter(knowledge_check__program=OuterRef("pk"))),
        "has_pulse": Exists(PulseRound.objects.filter(program=OuterRef("pk"))),
        "has_leads": Exists(Lead.objects.filter(program=OuterRef("pk"), rep__isnull=False)),
        "has_kit_use": Exists(
            ActivityEvent.objects.filter(program=OuterRef("pk"), verb__in=list(KIT_USE_VERBS))
        ),
    }


FACT_FIELDS = ("n_required", "has_check", "has_pulse", "has_leads", "has_kit_use")


def facts_of(row: dict[str, Any] | Program) -> Facts:
    """Facts from a row (or a program) annotated with `facts_annotations()`."""

    def get(name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    return Facts(
        required_training=get("n_required"),
        has_check=get("has_check"),
        has_pulse=get("has_pulse"),
        has_leads=get("has_leads"),
        has_kit_use=get("has_kit_use"),
        anonymous=get("pulse_anonymous"),
    )


def program_facts(program: Program) -> Facts:
    return facts_many([program.pk])[program.pk]


def facts_many(program_ids: list[int]) -> dict[int, Facts]:
    rows = (
        Program.objects.filter(pk__in=program_ids)
        .annotate(**facts_annotations())
        .values("pk", "pulse_anonymous", *FACT_FIELDS)
    )
    return {row["pk"]: facts_of(row) for row in rows}


def annotated_reps(
    program: Program, team_ids: set[int], facts: Facts, now: dt.datetime
) -> QuerySet[Membership]:
    """Audience reps, each annotated with a boolean per stage (one SQL query), as of `now`
    (today, or an earlier date for a retrospective: only what had happened by then counts).
    Executing carries its own applicability: `exec_applicable` (something to execute)."""
    user = OuterRef("user")
    completions = (
        TrainingCompletion.objects.filter(
            item__program=program, item__required=True, user=user, completed_at__lte=now
        )
        .values("user")
        .annotate(n=Count("id"))
        .values("n")
    )
    latest_pulse = (
        PulseResponse.objects.filter(program=program, user=user, updated_at__lte=now)
        .order_by("-updated_at", "-id")
        .annotate(
            avg=Cast(F("understand") + F("helps") + F("next_steps"), FloatField()) / Value(3.0)
        )
        .values("avg")[:1]
    )
    if facts.has_leads:
        # the organization too, so each rep's leads come from the (org, program, rep) index
        # rather than a scan of the program's leads per rep (docs/PERFORMANCE.md)
        mine = Lead.objects.filter(
            org_id=program.org_id, program=program, rep=user, created_at__lte=now
        )
        counted = with_answer_time(mine).filter(counted_q(now))
        # One pass over the rep's judged leads decides Executing (both counts in one grouped
        # subquery); applicability stops at the first judged lead. Each annotation is
        # referenced once below, so the database reads the rep's leads once, not four times.
        verdict = (
            counted.values("rep")
            .annotate(n=Count("id"), in_time=Count("id", filter=IN_TIME))
            .annotate(ok=Q(in_time__gte=F("n") * EXECUTING_SHARE))
            .values("ok")
        )
        executing: Any = Coalesce(Subquery(verdict, output_field=BooleanField()), Value(False))
        exec_applicable: Any = Exists(counted)
    else:
        # A program without CRM leads: its kit used in the field counts as execution.
        kit_use = ActivityEvent.objects.filter(
            program=program, actor=user, verb__in=list(KIT_USE_VERBS), occurred_at__lte=now
        )
        # until someone uses the kit there is nothing to judge yet
        exec_applicable = Value(facts.has_kit_use, output_field=BooleanField())
        executing = Exists(kit_use) if facts.has_kit_use else exec_applicable
    return (
        Membership.objects.filter(
            org=program.org, role__in=list(SELLING_ROLES), team_id__in=team_ids
        )
        .annotate(
            informed=Exists(
                ActivityEvent.objects.filter(
                    program=program, actor=user, verb__in=list(INFORMED_VERBS), occurred_at__lte=now
                )
            ),
            completed=Coalesce(Subquery(completions, output_field=IntegerField()), 0),
            understood=Exists(
                CheckAttempt.objects.filter(
                    knowledge_check__program=program, user=user, passed=True, submitted_at__lte=now
                )
            ),
            pulse=Subquery(latest_pulse, output_field=FloatField()),
            executing=executing,
            exec_applicable=exec_applicable,
        )
        .annotate(
            trained=Q(completed__gte=facts.required_training)
            if facts.required_training
            else Value(False, output_field=BooleanField()),
            bought_in=Q(pulse__gte=BOUGHT_IN_AVERAGE),
            answered_pulse=Q(pulse__isnull=False),
        )
    )


COUNTED = ["informed", "trained", "understood", "bought_in", "answered_pulse", "executing",
           "exec_applicable"]  # fmt: skip


@dataclass
class Row:
    """Funnel counts for a team (its own reps plus every sub-team) or the whole program."""

    team: Team | None
    depth: int = 0
    reps: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    delivering_reps: int = 0  # reps in teams at or above their targets
    judged_reps: int = 0  # reps in teams with a judged target
    targeted_reps: int = 0  # reps in teams with any target (judged or not yet)
    shares: dict[str, float | None] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)  # stages withheld for privacy
    why: dict[str, str] = field(default_factory=dict)  # stage → why it has no number
    score: int | None = None

    def add(self, other: Row) -> None:
        self.reps += other.reps
        self.delivering_reps += other.delivering_reps
        self.judged_reps += other.judged_reps
        self.targeted_reps += other.targeted_reps
        for key in COUNTED:
            self.counts[key] += other.counts[key]

    @property
    def heat(self) -> dict[str, str]:
        """A colour bucket per stage for the heatmap: h0 … h10, or nodata."""
        return {s: "nodata" if v is None else f"h{int(v // 10)}" for s, v in self.shares.items()}

    @property
    def score_heat(self) -> str:
        """The heatmap bucket of the Lockstep score."""
        return "nodata" if self.score is None else f"h{self.score // 10}"

    @property
    def label(self) -> str:
        return self.team.name if self.team else "All audience teams"


def _finish(row: Row, ok: Applicable, anonymous: bool) -> Row:
    denominators = {
        "informed": row.reps,
        "trained": row.reps if ok.trained else 0,
        "understood": row.reps if ok.understood else 0,
        "bought_in": row.reps if ok.bought_in else 0,
        "executing": row.counts["exec_applicable"],
        "delivering": row.judged_reps,
    }
    numerators = {**row.counts, "delivering": row.delivering_reps}
    row.shares = {
        s: round(100 * numerators[s] / d, 1) if (d := denominators[s]) else None for s in STAGES
    }
    if anonymous and row.counts["answered_pulse"] < MIN_GROUP and ok.bought_in:
        row.shares["bought_in"] = None
        row.hidden.add("bought_in")
    row.why = {s: _why(s, row, ok) for s in STAGES if row.shares[s] is None}
    row.score = lockstep_score(row.shares) if row.reps else None
    return row


def finish_row(row: Row, ok: Applicable, anonymous: bool) -> Row:
    """Shares, privacy and score of a row whose counts are set: for funnels stored earlier
    and summed again for a narrower set of teams (a retrospective read by a sales leader)."""
    return _finish(row, ok, anonymous)


def _why(stage: str, row: Row, ok: Applicable) -> str:
    if not row.reps:
        return "no reps"
    if stage in row.hidden:
        return f"hidden: fewer than {MIN_GROUP} answers"
    reasons = {
        "trained": "no required training",
        "understood": "no knowledge check",
        "bought_in": "no pulse round",
        "executing": "no leads or kit use yet",
    }
    if stage == "delivering":
        return "too early to judge" if row.targeted_reps else "no target"
    return reasons.get(stage, "no data yet")


def lockstep_score(shares: dict[str, float | None]) -> int | None:
    """Weighted mean of the stage percentages that have data, 0–100 (None without any)."""
    weights = {s: w for s, w in SCORE_WEIGHTS.items() if shares.get(s) is not None}
    total = sum(weights.values())
    if not total:
        return None
    return round(sum(float(shares[s] or 0) * w for s, w in weights.items()) / total)


@dataclass(frozen=True)
class FunnelContext:
    """What every funnel computation needs, loaded once."""

    program: Program
    tree: TeamTree
    audience: set[int]
    facts: Facts
    progress: list[TargetProgress]
    judged_teams: set[int]
    delivering_teams: set[int]
    targeted_teams: set[int]
    now: dt.datetime

    @property
    def applicable(self) -> Applicable:
        return Applicable(
            trained=self.facts.required_training > 0,
            understood=self.facts.has_check,
            bought_in=self.facts.has_pulse,
            executing=True,
            delivering=bool(self.judged_teams & self.audience),
        )


def load(program: Program, now: dt.datetime | None = None) -> FunnelContext:
    """Everything a funnel needs, as of `now` (default: this moment). A past `now` gives the
    funnel as it stood then (a retrospective's "two weeks after launch"): events,
    completions, attempts, pulse answers and lead answers after it are ignored. Pulse
    answers changed later are seen as last saved (a rep may update their answer)."""
    return load_many([program], now=now)[program.pk]


def load_many(
    programs: list[Program], now: dt.datetime | None = None, tree: TeamTree | None = None
) -> dict[int, FunnelContext]:
    """`load` for several programs of one organization in a constant number of queries:
    the team tree, the audiences, the facts (none if the programs were fetched with
    `facts_annotations()`), the targets and their actuals."""
    if not programs:
        return {}
    now = now or timezone.now()
    org = programs[0].org
    tree = tree or TeamTree.load(org)
    ids = [p.pk for p in programs]
    chosen: dict[int, list[int]] = {pk: [] for pk in ids}
    prefetched = all("audience" in getattr(p, "_prefetched_objects_cache", {}) for p in programs)
    if prefetched:
        for p in programs:
            chosen[p.pk] = [t.pk for t in p.audience.all()]
    else:
        through = Program.audience.through.objects.filter(program_id__in=ids)
        for program_id, team_id in through.values_list("program_id", "team_id"):
            chosen[program_id].append(team_id)
    if all(hasattr(p, "has_kit_use") for p in programs):
        facts = {p.pk: facts_of(p) for p in programs}
    else:
        facts = facts_many(ids)
    today = timezone.localdate(now, timezone=org.tzinfo)
    progress_of = targets_vs_actuals_many(programs, today=today, tree=tree)
    contexts = {}
    for program in programs:
        progress = progress_of[program.pk]
        judged, delivering = delivering_team_ids(progress, tree)
        contexts[program.pk] = FunnelContext(
            program=program,
            tree=tree,
            audience=tree.descendants(chosen[program.pk]),
            facts=facts[program.pk],
            progress=progress,
            judged_teams=judged,
            delivering_teams=delivering,
            targeted_teams=tree.descendants({p.target.team_id for p in progress}),
            now=now,
        )
    return contexts


def _flags() -> dict[str, Any]:
    return {key: Count("id", filter=Q(**{key: True})) for key in COUNTED}


def team_counts(ctx: FunnelContext, team_ids: set[int] | None = None) -> QuerySet[Any]:
    """Audience reps per team with how many reached each stage (one grouped query)."""
    chosen = ctx.audience if team_ids is None else ctx.audience & team_ids
    return (
        annotated_reps(ctx.program, chosen, ctx.facts, ctx.now)
        .values("team_id")
        .annotate(n=Count("id"), **_flags())
        .order_by()
    )


UNION_CHUNK = 200  # SQLite allows 500 terms in one compound SELECT


def team_counts_many(
    contexts: list[FunnelContext], team_ids: set[int] | None = None
) -> dict[int, dict[int, dict[str, Any]]]:
    """{program id: {team id: counts}} for several programs in one query (a UNION ALL of
    each program's grouped query), optionally only for some teams."""
    out: dict[int, dict[int, dict[str, Any]]] = {ctx.program.pk: {} for ctx in contexts}
    parts = [
        team_counts(ctx, team_ids).annotate(program_ref=Value(ctx.program.pk))
        for ctx in contexts
        if (ctx.audience if team_ids is None else ctx.audience & team_ids)
    ]
    for start in range(0, len(parts), UNION_CHUNK):
        chunk = parts[start : start + UNION_CHUNK]
        query = chunk[0].union(*chunk[1:], all=True) if len(chunk) > 1 else chunk[0]
        for row in query:
            out[row["program_ref"]][row["team_id"]] = dict(row)
    return out


def tree_team(tree: TeamTree, team_id: int, org: Any) -> Team:
    """A Team built from the loaded tree (no query): name, parent and channel."""
    return Team(
        pk=team_id,
        org=org,
        name=tree.names[team_id],
        parent_id=tree.parents[team_id],
        channel=tree.channels[team_id],
    )


def program_funnel(
    program: Program,
    only_team_ids: set[int] | None = None,
    ctx: FunnelContext | None = None,
    counts: dict[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Rows per audience team (rolled up through sub-teams), and the program total. The
    per-team counts are read in one query, or passed in (`team_counts_many`)."""
    ctx = ctx or load(program)
    ok = ctx.applicable
    if counts is None:
        counts = {r["team_id"]: dict(r) for r in team_counts(ctx)}
    direct: dict[int, dict[str, Any]] = counts
    teams = {t: tree_team(ctx.tree, t, program.org) for t in ctx.audience}
    roots = [t for t in ctx.audience if ctx.tree.parents.get(t) not in ctx.audience]
    roots.sort(key=lambda t: ctx.tree.names[t])
    rows: list[Row] = []
    total = Row(team=None)

    def walk(team_id: int, depth: int) -> Row:
        row = Row(team=teams[team_id], depth=depth)
        rows.append(row)
        own = direct.get(team_id)
        if own:
            row.reps = own["n"]
            row.counts = {key: own[key] for key in COUNTED}
            if team_id in ctx.targeted_teams:
                row.targeted_reps = own["n"]
            if team_id in ctx.judged_teams:
                row.judged_reps = own["n"]
                if team_id in ctx.delivering_teams:
                    row.delivering_reps = own["n"]
        for child in ctx.tree.children.get(team_id, []):
            if child in ctx.audience:
                row.add(walk(child, depth + 1))
        _finish(row, ok, ctx.facts.anonymous)
        return row

    for root in roots:
        total.add(walk(root, 0))
    _finish(total, ok, ctx.facts.anonymous)
    if only_team_ids is not None:
        rows = [r for r in rows if r.team and r.team.pk in only_team_ids]
        visible = Row(team=None)
        for r in rows:
            if r.team and r.team.parent_id not in only_team_ids:
                visible.add(r)
        total = _finish(visible, ok, ctx.facts.anonymous)
    return {
        "rows": rows,
        "total": total,
        "applicable": ok,
        "anonymous": ctx.facts.anonymous,
        "stages": STAGES,
        "labels": STAGE_LABELS,
        "progress": ctx.progress,
    }


REP_FIELDS = (
    "id", "user_id", "team_id", "team__name", "user__first_name", "user__last_name",
    "user__email", "informed", "trained", "understood", "bought_in", "pulse", "executing",
    "exec_applicable",
)  # fmt: skip


def team_reps(
    program: Program, team_ids: set[int], ctx: FunnelContext | None = None
) -> list[dict[str, Any]]:
    """The reps of some teams with the stages each reached and what each is missing. With
    an anonymous pulse nobody's Bought in (or pulse) is shown."""
    ctx = ctx or load(program)
    reps: QuerySet[Any] = annotated_reps(program, team_ids & ctx.audience, ctx.facts, ctx.now)
    rows = reps.order_by("team__name", "user__last_name", "user__first_name").values(*REP_FIELDS)
    return [_rep_row(rep, ctx) for rep in rows]


def team_reps_many(
    contexts: list[FunnelContext], team_ids: set[int]
) -> dict[int, list[dict[str, Any]]]:
    """`team_reps` for several programs in one query (a UNION ALL): {program id: reps}."""
    out: dict[int, list[dict[str, Any]]] = {ctx.program.pk: [] for ctx in contexts}
    by_id = {ctx.program.pk: ctx for ctx in contexts}
    parts = [
        annotated_reps(ctx.program, team_ids & ctx.audience, ctx.facts, ctx.now)
        .annotate(program_ref=Value(ctx.program.pk))
        .values(*REP_FIELDS, "program_ref")
        .order_by()
        for ctx in contexts
        if team_ids & ctx.audience
    ]
    for start in range(0, len(parts), UNION_CHUNK):
        chunk = parts[start : start + UNION_CHUNK]
        query = chunk[0].union(*chunk[1:], all=True) if len(chunk) > 1 else chunk[0]
        for row in query:
            out[row["program_ref"]].append(_rep_row(row, by_id[row["program_ref"]]))
    for rows in out.values():
        rows.sort(key=lambda r: (r["team_name"], r["sort_name"]))
    return out


def _rep_row(rep: dict[str, Any], ctx: FunnelContext) -> dict[str, Any]:
    ok = ctx.applicable
    team_id = rep["team_id"]
    judged = team_id in ctx.judged_teams
    show_pulse = ok.bought_in and not ctx.facts.anonymous
    reached: dict[str, bool | None] = {
        "informed": bool(rep["informed"]),
        "trained": bool(rep["trained"]) if ok.trained else None,
        "understood": bool(rep["understood"]) if ok.understood else None,
        "bought_in": bool(rep["bought_in"]) if show_pulse else None,
        "executing": bool(rep["executing"]) if rep["exec_applicable"] else None,
        "delivering": (team_id in ctx.delivering_teams) if judged else None,
    }
    name = f"{rep['user__first_name']} {rep['user__last_name']}".strip()
    return {
        "membership_id": rep["id"],
        "user_id": rep["user_id"],
        "team_id": team_id,
        "name": name or rep["user__email"],
        "sort_name": (rep["user__last_name"], rep["user__first_name"], rep["user__email"]),
        "team_name": rep["team__name"],
        "reached": reached,
        "missing": [STAGE_LABELS[s] for s in STAGES if reached[s] is False],
        "pulse": rep["pulse"] if show_pulse else None,
    }
