"""Reading programs: who is in a program's audience, which programs a member sees, the
readiness facts. Read-only; services and the floors above call these."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone

from lockstep.core.events import Verb
from lockstep.core.permissions import Role
from lockstep.orgs.models import AssetKind, Membership
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
    PreviewFeedback,
    Program,
    ProgramStatus,
    PulseRound,
    SellInActivity,
    Target,
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


def with_plan(program: Program) -> Program:
    """Load the program's plan rows once; the readiness facts and the page reuse them."""
    prefetch_related_objects([program], *PLAN)
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


def visible_programs(membership: Membership) -> QuerySet[Program]:
    """The programs a member may open, by role (marketers, owners, viewers: all)."""
    programs = Program.objects.for_org(membership.org)
    if membership.role == Role.SALES_LEADER:
        ids = leader_team_ids(membership)
        ancestors = ancestor_ids(membership.org, ids)
        return (
            programs.exclude(status=ProgramStatus.DRAFT)
            .filter(audience__in=ids | ancestors)
            .distinct()
        )
    if membership.is_rep:
        team_ids = {membership.team_id} | ancestor_ids(membership.org, {membership.team_id})
        return programs.filter(
            status__in=[ProgramStatus.PREVIEW, ProgramStatus.LIVE, ProgramStatus.CLOSED],
            audience__in=team_ids,
        ).distinct()
    return programs


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


def collect_facts(program: Program, tree: TeamTree | None = None) -> rd.ProgramFacts:
    """The readiness facts. With the plan prefetched (`with_plan`) this reads four more
    queries (the team tree, endorsers' teams, the preview round, the check's questions)."""
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
        endorsement_count=audience_endorsements(program, tree),
        preview_held=preview_held(program),
        champion_team_ids=frozenset(c.team_id for c in program.champions.all()),
        open_feedback_count=sum(1 for f in program.feedback.all() if f.addressed_at is None),
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
        has_knowledge_check=has_real_check(program),
        max_training_minutes=org.max_training_minutes,
    )


def program_readiness(program: Program, tree: TeamTree | None = None) -> rd.Readiness:
    return rd.score(collect_facts(program, tree))


def rep_target_share(
    program: Program, membership: Membership, tree: TeamTree | None = None
) -> list[dict[str, Any]]:
    """The targets covering the rep's team, and the rep's equal share of each (two queries
    with a loaded tree, whatever the number of targets)."""
    if membership.team_id is None:
        return []
    tree = tree or TeamTree.load(program.org)
    lineage = {membership.team_id} | tree.ancestors({membership.team_id})
    targets = list(program.targets.filter(team_id__in=lineage).select_related("team"))
    if not targets:
        return []
    headcount = dict(
        reps_in_teams(program.org, tree.descendants(t.team_id for t in targets))
        .values_list("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    shares = []
    for target in targets:
        count = sum(headcount.get(t, 0) for t in tree.descendants([target.team_id])) or 1
        share: Decimal = target.value / count
        # a share of 0.9 opportunities is one opportunity to bring, not 0.9
        whole = target.metric in COUNT_METRICS
        rounded = Decimal(math.ceil(share)) if whole else share.quantize(Decimal("1"))
        shares.append({"target": target, "reps": count, "share": rounded, "whole": whole})
    return shares


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
