"""Reading programs: who is in a program's audience, which programs a member sees, the
readiness facts. Read-only; services and the floors above call these."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.core.permissions import Perm, Role, can
from lockstep.core.querysets import id_list, ids_of, set_prefetched
from lockstep.orgs.models import AssetKind, Membership, Team
from lockstep.orgs.selectors import (
    TeamTree,
    ancestor_ids,
    leader_team_ids,
    reps_in_teams,
    team_children_map,
    with_descendants,
)
from lockstep.programs import readiness as rd
from lockstep.programs.models import (
    COUNT_METRICS,
    Asset,
    Champion,
    CheckQuestion,
    Endorsement,
    KnowledgeCheck,
    PreviewFeedback,
    Program,
    ProgramStatus,
    PulseRound,
    SellInActivity,
    Target,
    TrainingItem,
)

# Everything the program page shows and the readiness rules read, in one batch of queries.
PLAN = (
    "audience",
    Prefetch(
        "activities", SellInActivity.objects.select_related("owner").prefetch_related("teams")
    ),
    Prefetch("endorsements", Endorsement.objects.select_related("leader")),
    Prefetch("champions", Champion.objects.select_related("user", "team")),
    Prefetch("feedback", PreviewFeedback.objects.select_related("author", "responded_by")),
    Prefetch("assets", Asset.objects.select_related("owner")),
    Prefetch("targets", Target.objects.select_related("team", "responded_by")),
    "training",
)


def with_plan(program: Program, tree: TeamTree | None = None) -> Program:
    """Load the program's plan rows once; the readiness facts and the page reuse them. With
    the request's tree, the activities' teams come from it (their ids read along with the
    activities) and the audience is left to `plan_counts`, which reads its ids."""
    if tree is None:
        prefetch_related_objects([program], *PLAN)
        return program
    activities = SellInActivity.objects.select_related("owner").annotate(
        team_ids=id_list(SellInActivity.teams.through, "sellinactivity_id", "team_id")
    )
    prefetch_related_objects([program], Prefetch("activities", activities), *PLAN[2:])
    for activity in program.activities.all():
        ids = ids_of(getattr(activity, "team_ids", None))
        set_prefetched(activity, "teams", [tree.team(t) for t in ids if t in tree.parents], Team)
    return program


def audience_team_ids(program: Program, tree: TeamTree | None = None) -> set[int]:
    """The chosen audience teams and every team below them."""
    chosen = [t.pk for t in program.audience.all()]
    return with_descendants(program.org, chosen, tree)


def selling_team_ids(program: Program) -> set[int]:
    """Audience teams with no sub-team: where reps sell and targets land."""
    children = team_children_map(program.org)
    return {t for t in audience_team_ids(program) if not children.get(t)}


def audience_reps(program: Program) -> QuerySet[Membership]:
    return reps_in_teams(program.org, audience_team_ids(program))


def in_audience(membership: Membership, program: Program) -> bool:
    if membership.is_rep:
        return membership.team_id in audience_team_ids(program)
    if membership.role == Role.SALES_LEADER:
        return bool(leader_team_ids(membership) & audience_team_ids(program))
    return False


def visible_programs(membership: Membership, tree: TeamTree | None = None) -> QuerySet[Program]:
    """The programs a member may open, by role (marketers, owners, viewers: all)."""
    programs = Program.objects.for_org(membership.org)
    if membership.role == Role.SALES_LEADER or membership.is_rep:
        tree = tree or TeamTree.load(membership.org)  # once, for the teams and their regions
    if membership.role == Role.SALES_LEADER:
        ids = leader_team_ids(membership, tree)
        ancestors = ancestor_ids(membership.org, ids, tree)
        return (
            programs.exclude(status=ProgramStatus.DRAFT)
            .filter(audience__in=ids | ancestors)
            .distinct()
        )
    if membership.is_rep:
        team_ids = {membership.team_id} | ancestor_ids(membership.org, {membership.team_id}, tree)
        return programs.filter(
            status__in=[ProgramStatus.PREVIEW, ProgramStatus.LIVE, ProgramStatus.CLOSED],
            audience__in=team_ids,
        ).distinct()
    return programs


def calendar_programs(membership: Membership, tree: TeamTree | None = None) -> QuerySet[Program]:
    """The programs the launch calendar shows a member: those they may open, and for a rep
    also the programs marked ready for their team (sold in, about to launch: their name,
    date and training load are no secret, their brief opens at launch)."""
    visible = visible_programs(membership, tree)
    if not membership.is_rep:
        return visible
    team_ids = {membership.team_id} | ancestor_ids(membership.org, {membership.team_id}, tree)
    ready = Program.objects.for_org(membership.org).filter(
        status=ProgramStatus.READY, audience__in=team_ids
    )
    return Program.objects.filter(pk__in=visible.values("pk")) | Program.objects.filter(
        pk__in=ready.values("pk")
    )


def has_real_check(program: Program) -> bool:
    """A knowledge check counts only when it has questions (an empty one is no check)."""
    return CheckQuestion.objects.filter(knowledge_check__program=program).exists()


def audience_endorsements(program: Program, tree: TeamTree | None = None) -> int:
    """Endorsements by leaders who lead a team of the audience (or a region above one)."""
    tree = tree or TeamTree.load(program.org)
    audience = tree.descendants(t.pk for t in program.audience.all())
    endorsers = [e.leader_id for e in program.endorsements.all()]
    led: dict[int, set[int]] = {}
    rows = (
        Membership.objects.for_org(program.org)
        .filter(user_id__in=endorsers, role=Role.SALES_LEADER)
        .values_list("user_id", "led_teams")
    )
    for user_id, team_id in rows:
        if team_id is not None:
            led.setdefault(user_id, set()).add(team_id)
    return sum(1 for user_id in endorsers if tree.descendants(led.get(user_id, ())) & audience)


def preview_held(program: Program) -> bool:
    """The program has been (or is) in preview: sales saw it before it was ready."""
    return (
        program.status == ProgramStatus.PREVIEW
        or program.events.filter(verb=Verb.PROGRAM_PREVIEW).exists()
    )


@dataclass(frozen=True)
class PlanCounts:
    """The readiness facts that are counts or flags, read in two queries (for pages that
    show readiness next to other things and must stay within their query budget)."""

    endorsement_count: int
    preview_held: bool
    has_check: bool
    open_feedback: int
    open_questions: int = 0  # reps' questions waiting for an answer
    check: KnowledgeCheck | None = None  # the program's check (with or without questions)
    check_questions: int = 0


CHECK_FIELDS = ("id", "org_id", "created_at", "title", "pass_mark", "attempts_allowed")


# The knowledge check read in a Program query's row: `.values(*CHECK_VALUES,
# n_questions=check_question_count())`, turned back into the check by `check_of`.
CHECK_VALUES = tuple(f"knowledge_check__{name}" for name in CHECK_FIELDS)


def check_question_count() -> Coalesce:
    """The number of questions of the program's check (0 without a check)."""
    questions = (
        CheckQuestion.objects.filter(knowledge_check__program_id=OuterRef("pk"))
        .order_by()
        .values("knowledge_check__program_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(questions), 0)


def check_of(program: Program, row: dict[str, Any]) -> KnowledgeCheck | None:
    """The knowledge check read with `CHECK_VALUES` and `n_questions` (None when the program
    has none), with its `n_questions`."""
    if row["knowledge_check__id"] is None:
        return None
    check = KnowledgeCheck(
        program=program, **{name: row[f"knowledge_check__{name}"] for name in CHECK_FIELDS}
    )
    check._state.adding, check._state.db = False, KnowledgeCheck.objects.db
    setattr(check, "n_questions", row["n_questions"])  # noqa: B010 — pages show it
    return check


def plan_counts(program: Program, tree: TeamTree) -> PlanCounts:
    """Endorsements by leaders of the audience, the preview round, the check and its
    questions, the open preview feedback and the unanswered questions — the same rules as
    `collect_facts`, in two queries (one when nobody has endorsed the program yet and its
    endorsements are prefetched). The same row brings the audience's ids: when the
    audience is not prefetched, it is filled from the tree."""
    row = (
        Program.objects.filter(pk=program.pk)
        .annotate(
            preview=Exists(
                ActivityEvent.objects.filter(program=OuterRef("pk"), verb=Verb.PROGRAM_PREVIEW)
            ),
            open_feedback=Count(
                "feedback", filter=Q(feedback__addressed_at__isnull=True), distinct=True
            ),
            # reps' questions belong to the feedback app, a floor above: read by relation name
            open_questions=Count(
                "questions", filter=Q(questions__answered_at__isnull=True), distinct=True
            ),
            audience_ids=id_list(Program.audience.through, "program_id", "team_id"),
        )
        .values(
            "preview", "open_feedback", "open_questions", "audience_ids", *CHECK_VALUES,
            n_questions=check_question_count(),
        )
        .get()
    )  # fmt: skip
    if "audience" not in getattr(program, "_prefetched_objects_cache", {}):
        teams = [tree.team(t) for t in ids_of(row["audience_ids"]) if t in tree.parents]
        set_prefetched(program, "audience", teams, Team)
    check = check_of(program, row)
    audience = tree.descendants(t.pk for t in program.audience.all())
    endorsers = [e.leader_id for e in program.endorsements.all()]
    led: dict[int, set[int]] = {}
    rows = (
        Membership.objects.for_org(program.org)
        .filter(user_id__in=endorsers, role=Role.SALES_LEADER)
        .values_list("user_id", "led_teams")
    )
    for user_id, team_id in rows if endorsers else []:
        led.setdefault(user_id, set())
        if team_id is not None:
            led[user_id].add(team_id)
    return PlanCounts(
        endorsement_count=sum(1 for teams in led.values() if tree.descendants(teams) & audience),
        preview_held=program.status == ProgramStatus.PREVIEW or row["preview"],
        has_check=row["n_questions"] > 0,
        open_feedback=row["open_feedback"],
        open_questions=row["open_questions"],
        check=check,
        check_questions=row["n_questions"],
    )


# The plan rows readiness reads when the counts come from `plan_counts`.
READINESS_PLAN = (
    "audience",
    Prefetch("activities", SellInActivity.objects.prefetch_related("teams")),
    "champions",
    "assets",
    "targets",
    "training",
)


def readiness_with_counts(program: Program, tree: TeamTree) -> rd.Readiness:
    """The readiness score and findings in ten queries or fewer with a loaded tree."""
    prefetch_related_objects([program], *READINESS_PLAN)
    return rd.score(collect_facts(program, tree, counts=plan_counts(program, tree)))


def collect_facts(
    program: Program, tree: TeamTree | None = None, counts: PlanCounts | None = None
) -> rd.ProgramFacts:
    """The readiness facts. With the plan prefetched (`with_plan`) this reads four more
    queries (the team tree, endorsers' teams, the preview round, the check's questions);
    with `counts` (from `plan_counts`) it reads none of those and not the feedback rows."""
    org = program.org
    tree = tree or TeamTree.load(org)
    teams = {
        t: rd.TeamFact(t, tree.names[t], tree.parents[t], tree.channels[t]) for t in tree.parents
    }
    kinds = dict(AssetKind.choices)
    activities = [
        rd.ActivityFact(a.get_kind_display(), a.date, frozenset(t.pk for t in a.teams.all()))
        for a in program.activities.all()
    ]
    return rd.ProgramFacts(
        today=timezone.localdate(timezone=org.tzinfo),
        launch_date=program.launch_date,
        teams=teams,
        audience_ids=frozenset(t.pk for t in program.audience.all()),
        activities=activities,
        endorsement_count=counts.endorsement_count
        if counts
        else audience_endorsements(program, tree),
        preview_held=counts.preview_held if counts else preview_held(program),
        champion_team_ids=frozenset(c.team_id for c in program.champions.all()),
        open_feedback_count=counts.open_feedback
        if counts
        else sum(1 for f in program.feedback.all() if f.addressed_at is None),
        wiifm=program.wiifm,
        incentive_kind=program.incentive_kind,
        incentive_amount=program.incentive_amount,
        incentive_currency=program.incentive_currency,
        proof_points=program.proof_points,
        assets=[
            rd.AssetFact(
                a.kind,
                kinds[a.kind],
                a.title,
                a.expires_on,
                a.partner_visible,
                has_owner=a.owner_id is not None,
                url=a.url,
            )
            for a in program.assets.all()
        ],
        required_asset_kinds=[(k, kinds.get(k, k)) for k in org.required_asset_kinds],
        targets=[rd.TargetFact(t.team_id, t.status) for t in program.targets.all()],
        training=[
            rd.TrainingFact(
                t.title,
                t.kind,
                t.duration_minutes,
                t.required,
                t.starts_at,
                has_join_link=bool(t.join_url),
            )
            for t in program.training.all()
        ],
        has_knowledge_check=counts.has_check if counts else has_real_check(program),
        max_training_minutes=org.max_training_minutes,
    )


def program_readiness(program: Program, tree: TeamTree | None = None) -> rd.Readiness:
    return rd.score(collect_facts(program, tree))


def rep_target_share(
    program: Program, membership: Membership, tree: TeamTree | None = None
) -> list[dict[str, Any]]:
    """The targets covering the rep's team, and the rep's equal share of each (one query
    with a loaded tree, whatever the number of targets: the tree knows each team's reps)."""
    if membership.team_id is None:
        return []
    tree = tree or TeamTree.load(program.org)
    lineage = {membership.team_id} | tree.ancestors({membership.team_id})
    targets = list(program.targets.filter(team_id__in=lineage).select_related("team"))
    if not targets:
        return []
    shares = []
    for target in targets:
        count = tree.sellers_under(target.team_id) or 1
        whole = target.metric in COUNT_METRICS
        share = equal_share(target.value, count, target.metric)
        shares.append({"target": target, "reps": count, "share": share, "whole": whole})
    return shares


def equal_share(value: Decimal, reps: int, metric: str) -> Decimal:
    """One rep's equal share of a team amount: whole units for counts (a share of 0.9
    opportunities is one opportunity to bring, not 0.9), whole currency units otherwise."""
    share = value / max(reps, 1)
    if metric in COUNT_METRICS:
        return Decimal(math.ceil(share))
    return share.quantize(Decimal("1"))


def round_opens_on(pulse_round: PulseRound, program: Program) -> dt.date | None:
    if program.launched_at is None:
        return None
    launched = timezone.localtime(program.launched_at, program.org.tzinfo).date()
    return launched + dt.timedelta(days=pulse_round.day_offset)


def current_round(program: Program, today: dt.date | None = None) -> PulseRound | None:
    """The latest pulse round that has opened: reps answer it (and may change their answer)."""
    today = today or timezone.localdate(timezone=program.org.tzinfo)
    opened = [
        r
        for r in program.pulse_rounds.all()
        if (opens := round_opens_on(r, program)) is not None and opens <= today
    ]
    return opened[-1] if opened else None


# --- the load on teams: launches and required training per month ----------------------------

# A month is flagged as overloaded for a team when more than this many programs launch to it,
# or when the required training of the programs launching to it exceeds twice the
# organization's maximum for one program (docs/insights.md, "Launch calendar and load").
LOAD_MAX_LAUNCHES = 2
LOAD_MINUTES_FACTOR = 2


def with_training_minutes(programs: QuerySet[Program]) -> QuerySet[Program]:
    """Annotate `training_minutes`: the required training time of each program."""
    required = (
        TrainingItem.objects.filter(program=OuterRef("pk"), required=True)
        .values("program")
        .annotate(total=Sum("duration_minutes"))
        .values("total")[:1]
    )
    return programs.annotate(
        training_minutes=Coalesce(Subquery(required, output_field=IntegerField()), 0)
    )


@dataclass
class LoadCell:
    programs: list[Program]
    minutes: int = 0
    overloaded: bool = False

    @property
    def launches(self) -> int:
        return len(self.programs)


@dataclass
class LoadRow:
    team_id: int
    name: str
    depth: int
    channel: str
    cells: list[LoadCell]

    @property
    def overloaded_months(self) -> int:
        return sum(1 for c in self.cells if c.overloaded)


LOAD_COLUMNS = ["Team", "Month", "Launches", "Programs", "Required training minutes", "Overloaded"]


def load_table_rows(
    rows: list[LoadRow], month_labels: list[str], tree: TeamTree | None = None
) -> list[list[object]]:
    """The launch load as CSV rows (LOAD_COLUMNS; with a tree, the parent team and channel
    after the team's name): one row per team and month."""
    return [
        [
            row.name,
            *(
                [tree.names.get(tree.parents.get(row.team_id) or 0, ""), row.channel]
                if tree
                else []
            ),
            label,
            cell.launches,
            "; ".join(p.name for p in cell.programs),
            cell.minutes,
            cell.overloaded,
        ]
        for row in rows
        for label, cell in zip(month_labels, row.cells, strict=True)
    ]


def month_starts(first: dt.date, count: int) -> list[dt.date]:
    months = []
    year, month = first.year, first.month
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def team_load(
    programs: list[Program],
    tree: TeamTree,
    months: list[dt.date],
    team_ids: set[int],
    max_training_minutes: int,
) -> list[LoadRow]:
    """Per team (in tree order) and month: the programs that launch to the team that month
    (a program aimed at a region reaches every team below it) and their required training
    minutes (`with_training_minutes`; the programs' audiences prefetched). No query."""
    limit = LOAD_MINUTES_FACTOR * max_training_minutes
    index = {(m.year, m.month): i for i, m in enumerate(months)}
    cells: dict[int, list[LoadCell]] = {t: [LoadCell([]) for _ in months] for t in team_ids}
    for program in programs:
        if program.launch_date is None:
            continue
        i = index.get((program.launch_date.year, program.launch_date.month))
        if i is None:
            continue
        reached = tree.descendants(t.pk for t in program.audience.all()) & team_ids
        for team_id in reached:
            cell = cells[team_id][i]
            cell.programs.append(program)
            cell.minutes += int(getattr(program, "training_minutes", 0) or 0)
    for row_cells in cells.values():
        for cell in row_cells:
            cell.overloaded = cell.launches > LOAD_MAX_LAUNCHES or cell.minutes > limit
    roots = sorted(
        (t for t in team_ids if tree.parents.get(t) not in team_ids), key=lambda t: tree.names[t]
    )
    rows = []
    for team_id, depth in tree.depth_first(roots):
        if team_id in team_ids:
            rows.append(
                LoadRow(team_id, tree.names[team_id], depth, tree.channels[team_id], cells[team_id])
            )
    return rows


def kit_assets(membership: Membership, program: Program) -> QuerySet[Asset]:
    """The kit as this member may be offered it: everything for internal roles; for a
    partner rep only partner-visible assets that have not expired (expired material is
    what partners must not hand to customers). Assets are loaded through
    `access.access_asset`, which applies the same rule to one asset."""
    assets = program.assets.select_related("owner")
    if can(membership, Perm.VIEW_INTERNAL_KIT):
        return assets
    today = timezone.localdate(timezone=program.org.tzinfo)
    return assets.filter(partner_visible=True).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )
