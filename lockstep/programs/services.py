"""State changes for programs and their sell-in plan, the launch gate and the rep brief.

Each service runs in a transaction, writes the audit log and, where a measurement needs it,
an activity event. Business rules that are not input validation (who may endorse, the
launch gate, which transitions exist) are enforced here and raise `ProgramError`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.services import diff, emit_event, record_audit
from lockstep.orgs.models import Membership, Organization, Role, Team
from lockstep.orgs.services import leader_team_ids, team_children_map, with_descendants
from lockstep.programs import readiness as rd
from lockstep.programs.models import (
    Asset,
    AssetKind,
    Champion,
    Endorsement,
    KnowledgeCheck,
    PreviewFeedback,
    Program,
    ProgramStatus,
    RepQuestion,
    SellInActivity,
    Target,
    TargetStatus,
    TrainingItem,
    TrainingKind,
)


class ProgramError(Exception):
    """A rule of the product refused the change; the message says why, in plain words."""


class LaunchRefused(ProgramError):
    def __init__(self, readiness: rd.Readiness, threshold: int) -> None:
        super().__init__(
            f"The readiness score is {readiness.score}, below the threshold of {threshold}."
        )
        self.readiness = readiness
        self.threshold = threshold


# --- audience -----------------------------------------------------------------------------


def audience_team_ids(program: Program) -> set[int]:
    """The chosen audience teams and every team below them."""
    chosen = list(program.audience.values_list("id", flat=True))
    return with_descendants(program.org, chosen)


def selling_team_ids(program: Program) -> set[int]:
    """Audience teams with no sub-team: where reps sell and targets land."""
    children = team_children_map(program.org)
    return {t for t in audience_team_ids(program) if not children.get(t)}


def audience_reps(program: Program) -> Any:
    return Membership.objects.for_org(program.org).filter(
        role__in=[Role.REP, Role.PARTNER_REP], team_id__in=audience_team_ids(program)
    )


def in_audience(membership: Membership, program: Program) -> bool:
    if membership.is_rep:
        return membership.team_id in audience_team_ids(program)
    if membership.role == Role.SALES_LEADER:
        return bool(leader_team_ids(membership) & audience_team_ids(program))
    return False


def visible_programs(membership: Membership) -> Any:
    """The programs a member may open, by role (marketers, owners, viewers: all)."""
    programs = Program.objects.for_org(membership.org)
    if membership.role == Role.SALES_LEADER:
        ids = leader_team_ids(membership)
        ancestors = _ancestor_ids(membership.org, ids)
        return (
            programs.exclude(status=ProgramStatus.DRAFT)
            .filter(audience__in=ids | ancestors)
            .distinct()
        )
    if membership.is_rep:
        team_ids = {membership.team_id} | _ancestor_ids(membership.org, {membership.team_id})
        return programs.filter(
            status__in=[ProgramStatus.PREVIEW, ProgramStatus.LIVE, ProgramStatus.CLOSED],
            audience__in=team_ids,
        ).distinct()
    return programs


def _ancestor_ids(org: Organization, team_ids: Iterable[int | None]) -> set[int]:
    parents = dict(Team.objects.for_org(org).values_list("id", "parent_id"))
    found: set[int] = set()
    for team_id in team_ids:
        parent = parents.get(team_id) if team_id else None
        while parent is not None and parent not in found:
            found.add(parent)
            parent = parents.get(parent)
    return found


# --- programs -----------------------------------------------------------------------------

PROGRAM_FIELDS = (
    "name",
    "kind",
    "summary",
    "owner",
    "launch_date",
    "end_date",
    "campaign_codes",
    "reminder_days",
    "training_due_days",
    "sla_hours",
)


def _program_values(program: Program) -> dict[str, Any]:
    values = {f: getattr(program, f) for f in PROGRAM_FIELDS}
    values["audience"] = sorted(t.name for t in program.audience.all()) if program.pk else []
    return values


@transaction.atomic
def create_program(
    *, org: Organization, acting_user: User, audience: Iterable[Team], **values: Any
) -> Program:
    program = Program.objects.create(org=org, **values)
    program.audience.set(list(audience))
    record_audit(
        org=org,
        acting_user=acting_user,
        action="program.created",
        obj=program,
        changes=diff({}, _program_values(program)),
    )
    emit_event(org=org, actor=acting_user, verb="program.created", program_id=program.pk)
    return program


@transaction.atomic
def update_program(
    *, program: Program, acting_user: User, audience: Iterable[Team], **values: Any
) -> None:
    before = _program_values(program)
    for name, value in values.items():
        setattr(program, name, value)
    program.save()
    program.audience.set(list(audience))
    changes = diff(before, _program_values(program))
    if changes:
        record_audit(
            org=program.org,
            acting_user=acting_user,
            action="program.updated",
            obj=program,
            changes=changes,
        )


@transaction.atomic
def set_archived(*, program: Program, acting_user: User, archived: bool) -> None:
    program.archived_at = timezone.now() if archived else None
    program.save(update_fields=["archived_at", "updated_at"])
    action = "program.archived" if archived else "program.unarchived"
    record_audit(org=program.org, acting_user=acting_user, action=action, obj=program)


TRANSITIONS: dict[str, set[str]] = {
    ProgramStatus.DRAFT: {ProgramStatus.PREVIEW, ProgramStatus.READY},
    ProgramStatus.PREVIEW: {ProgramStatus.DRAFT, ProgramStatus.READY},
    ProgramStatus.READY: {ProgramStatus.PREVIEW, ProgramStatus.LIVE},
    ProgramStatus.LIVE: {ProgramStatus.CLOSED},
    ProgramStatus.CLOSED: set(),
}


@transaction.atomic
def transition(
    *,
    program: Program,
    acting_user: User,
    to: str,
    override_reason: str = "",
    acting_role: str = "",
) -> Program:
    """Move a program along its lifecycle. Going live passes the launch gate: below the
    organization's threshold it is refused unless an owner gives a written reason."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if to not in TRANSITIONS[program.status]:
        raise ProgramError(
            f"A {program.get_status_display().lower()} program cannot move to "
            f"{ProgramStatus(to).label.lower()}."
        )
    note = ""
    if to == ProgramStatus.LIVE:
        result = program_readiness(program)
        threshold = program.org.readiness_threshold
        if not result.passes(threshold):
            if not override_reason.strip() or acting_role != Role.OWNER:
                raise LaunchRefused(result, threshold)
            program.override_reason = override_reason.strip()
            program.override_by = acting_user
            note = f"Launched at {result.score} below the threshold {threshold}: {override_reason}"
        program.launched_at = timezone.now()
        program.launch_score = result.score
    before = program.status
    program.status = to
    program.save()
    record_audit(
        org=program.org,
        acting_user=acting_user,
        action="program.status_changed",
        obj=program,
        changes={"status": [before, to]},
        note=note,
    )
    emit_event(
        org=program.org,
        actor=acting_user,
        verb=f"program.{to}",
        program_id=program.pk,
        payload={"from": before, "score": program.launch_score},
    )
    if to == ProgramStatus.LIVE:
        # launch builds on these services (audience, readiness): imported here, not at the top
        from lockstep.programs.launch import announce

        announce(program)
    return program


# --- readiness ----------------------------------------------------------------------------


def collect_facts(program: Program) -> rd.ProgramFacts:
    org = program.org
    teams = {
        t.id: rd.TeamFact(t.id, t.name, t.parent_id, t.channel) for t in Team.objects.for_org(org)
    }
    kinds = dict(AssetKind.choices)
    activities = [
        rd.ActivityFact(a.get_kind_display(), a.date, frozenset(t.pk for t in a.teams.all()))
        for a in program.activities.prefetch_related("teams")
    ]
    return rd.ProgramFacts(
        today=timezone.localdate(),
        launch_date=program.launch_date,
        teams=teams,
        audience_ids=frozenset(program.audience.values_list("id", flat=True)),
        activities=activities,
        endorsement_count=program.endorsements.count(),
        champion_team_ids=frozenset(program.champions.values_list("team_id", flat=True)),
        open_feedback_count=program.feedback.filter(addressed_at__isnull=True).count(),
        wiifm=program.wiifm,
        incentive_kind=program.incentive_kind,
        incentive_amount=program.incentive_amount,
        incentive_currency=program.incentive_currency,
        proof_points=program.proof_points,
        assets=[
            rd.AssetFact(a.kind, kinds[a.kind], a.title, a.expires_on, a.partner_visible)
            for a in program.assets.all()
        ],
        required_asset_kinds=[(k, kinds.get(k, k)) for k in org.required_asset_kinds],
        targets=[rd.TargetFact(t.team_id, t.status) for t in program.targets.all()],
        training=[
            rd.TrainingFact(t.title, t.kind, t.duration_minutes, t.required, t.starts_at)
            for t in program.training.all()
        ],
        has_knowledge_check=KnowledgeCheck.objects.filter(program=program).exists(),
        max_training_minutes=org.max_training_minutes,
    )


def program_readiness(program: Program) -> rd.Readiness:
    return rd.score(collect_facts(program))


# --- the six sections ---------------------------------------------------------------------


def _audit_child(program: Program, acting_user: User, action: str, obj: Any, **kw: Any) -> None:
    record_audit(org=program.org, acting_user=acting_user, action=action, obj=obj, **kw)


@transaction.atomic
def add_activity(
    *, program: Program, acting_user: User, teams: Iterable[Team], **values: Any
) -> SellInActivity:
    activity = SellInActivity.objects.create(org=program.org, program=program, **values)
    activity.teams.set(list(teams))
    _audit_child(program, acting_user, "program.activity_added", activity)
    return activity


@transaction.atomic
def delete_child(*, program: Program, acting_user: User, obj: Any, action: str) -> None:
    _audit_child(program, acting_user, action, obj)
    obj.delete()


@transaction.atomic
def save_wiifm(*, program: Program, acting_user: User, values: dict[str, Any]) -> None:
    fields = ["wiifm", "incentive_kind", "incentive_amount", "incentive_currency", "proof_points"]
    before = {f: getattr(program, f) for f in fields}
    for name in fields:
        setattr(program, name, values.get(name, getattr(program, name)))
    if program.incentive_kind == "none":
        program.incentive_amount, program.incentive_currency = None, ""
    program.save()
    changes = diff(before, {f: getattr(program, f) for f in fields})
    if changes:
        _audit_child(program, acting_user, "program.wiifm_changed", program, changes=changes)


def can_endorse(membership: Membership, program: Program) -> bool:
    return membership.role == Role.SALES_LEADER and in_audience(membership, program)


@transaction.atomic
def endorse(*, program: Program, membership: Membership, comment: str = "") -> Endorsement:
    """Only the sales leader themself endorses, and only for a program aimed at their teams."""
    if not can_endorse(membership, program):
        raise ProgramError("Only a sales leader of an audience team can endorse this program.")
    endorsement, created = Endorsement.objects.get_or_create(
        org=program.org, program=program, leader=membership.user, defaults={"comment": comment}
    )
    if not created:
        raise ProgramError("You have already endorsed this program.")
    _audit_child(program, membership.user, "program.endorsed", endorsement)
    emit_event(
        org=program.org, actor=membership.user, verb="program.endorsed", program_id=program.pk
    )
    return endorsement


@transaction.atomic
def add_champion(*, program: Program, acting_user: User, member: Membership) -> Champion:
    if member.team is None or member.team_id not in selling_team_ids(program):
        raise ProgramError("A champion is a rep of one of the audience teams.")
    champion, _ = Champion.objects.get_or_create(
        org=program.org, program=program, team=member.team, user=member.user
    )
    _audit_child(program, acting_user, "program.champion_added", champion)
    return champion


@transaction.atomic
def give_feedback(*, program: Program, membership: Membership, body: str) -> PreviewFeedback:
    if program.status != ProgramStatus.PREVIEW:
        raise ProgramError("Feedback is collected while the program is in preview.")
    if not in_audience(membership, program):
        raise ProgramError("Only sales leaders and reps of the audience give preview feedback.")
    item = PreviewFeedback.objects.create(
        org=program.org, program=program, author=membership.user, body=body
    )
    emit_event(
        org=program.org, actor=membership.user, verb="preview.feedback", program_id=program.pk
    )
    return item


@transaction.atomic
def respond_feedback(
    *, item: PreviewFeedback, acting_user: User, response: str, addressed: bool
) -> None:
    item.response = response
    item.responded_by = acting_user
    item.addressed_at = timezone.now() if addressed else None
    item.save()
    _audit_child(item.program, acting_user, "program.feedback_answered", item)


@transaction.atomic
def add_asset(*, program: Program, acting_user: User, **values: Any) -> Asset:
    asset = Asset(org=program.org, program=program, **values)
    asset.save()
    _audit_child(program, acting_user, "program.asset_added", asset)
    return asset


@transaction.atomic
def add_target(
    *, program: Program, acting_user: User, team: Team, metric: str, value: Decimal, period: str
) -> Target:
    target, created = Target.objects.update_or_create(
        org=program.org,
        program=program,
        team=team,
        metric=metric,
        defaults={"value": value, "period": period, "status": TargetStatus.PENDING},
    )
    action = "program.target_added" if created else "program.target_changed"
    _audit_child(program, acting_user, action, target, changes={"value": [None, str(value)]})
    return target


def can_respond_target(membership: Membership, target: Target) -> bool:
    return membership.role == Role.SALES_LEADER and target.team_id in leader_team_ids(membership)


@transaction.atomic
def respond_target(
    *, target: Target, membership: Membership, status: str, comment: str = ""
) -> None:
    if not can_respond_target(membership, target):
        raise ProgramError("Only a leader of this team can acknowledge or dispute its target.")
    before = target.status
    target.status = status
    target.leader_comment = comment
    target.responded_by = membership.user
    target.responded_at = timezone.now()
    target.save()
    _audit_child(
        target.program,
        membership.user,
        f"program.target_{status}",
        target,
        changes={"status": [before, status]},
        note=comment,
    )
    emit_event(
        org=target.org, actor=membership.user, verb=f"target.{status}", program_id=target.program_id
    )


@transaction.atomic
def add_training(*, program: Program, acting_user: User, **values: Any) -> TrainingItem:
    item = TrainingItem.objects.create(org=program.org, program=program, **values)
    _audit_child(program, acting_user, "program.training_added", item)
    _invite_if_live(item, "REQUEST")
    return item


TRAINING_FIELDS = ("title", "starts_at", "duration_minutes", "join_url", "content_url", "content")


@transaction.atomic
def update_training(*, item: TrainingItem, acting_user: User, **values: Any) -> None:
    """Change a session; a live session's invite is updated (same UID, next SEQUENCE)."""
    before = {f: getattr(item, f) for f in TRAINING_FIELDS + ("required",)}
    for name, value in values.items():
        if name != "kind":
            setattr(item, name, value)
    changes = diff(before, {f: getattr(item, f) for f in TRAINING_FIELDS + ("required",)})
    if not changes:
        return
    item.ics_sequence += 1
    item.save()
    _audit_child(item.program, acting_user, "program.training_changed", item, changes=changes)
    _invite_if_live(item, "REQUEST")


@transaction.atomic
def remove_training(*, item: TrainingItem, acting_user: User) -> None:
    item.ics_sequence += 1
    item.save(update_fields=["ics_sequence"])
    _invite_if_live(item, "CANCEL")
    _audit_child(item.program, acting_user, "program.training_removed", item)
    item.delete()


def _invite_if_live(item: TrainingItem, method: str) -> None:
    if item.kind == TrainingKind.LIVE and item.program.status == ProgramStatus.LIVE:
        from lockstep.programs.launch import send_invites  # launch builds on these services

        send_invites(item, method=method)


@transaction.atomic
def set_knowledge_check(
    *, program: Program, acting_user: User, title: str, pass_mark: int, attempts_allowed: int
) -> KnowledgeCheck:
    check, _ = KnowledgeCheck.objects.update_or_create(
        program=program,
        defaults={
            "org": program.org,
            "title": title,
            "pass_mark": pass_mark,
            "attempts_allowed": attempts_allowed,
        },
    )
    _audit_child(program, acting_user, "program.check_saved", check)
    return check


# --- the rep brief ------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefState:
    acknowledged: bool
    opened: bool


def brief_state(program: Program, user: User) -> BriefState:
    verbs = set(
        program.events.filter(actor=user, verb__in=["brief.opened", "brief.acknowledged"])
        .values_list("verb", flat=True)
        .distinct()
    )
    return BriefState(acknowledged="brief.acknowledged" in verbs, opened="brief.opened" in verbs)


def open_brief(*, program: Program, user: User) -> None:
    emit_event(org=program.org, actor=user, verb="brief.opened", program_id=program.pk)


@transaction.atomic
def acknowledge_brief(*, program: Program, user: User) -> bool:
    """Record "I've read it" once; returns False if it was already recorded."""
    if brief_state(program, user).acknowledged:
        return False
    emit_event(org=program.org, actor=user, verb="brief.acknowledged", program_id=program.pk)
    return True


def record_asset_use(*, asset: Asset, user: User, verb: str) -> None:
    emit_event(org=asset.org, actor=user, verb=verb, program_id=asset.program_id, obj=asset)


@transaction.atomic
def ask_question(*, program: Program, user: User, body: str) -> RepQuestion:
    question = RepQuestion.objects.create(
        org=program.org, program=program, asked_by=user, body=body
    )
    emit_event(
        org=program.org, actor=user, verb="question.asked", program_id=program.pk, obj=question
    )
    return question


def rep_target_share(program: Program, membership: Membership) -> list[dict[str, Any]]:
    """The targets covering the rep's team, and the rep's equal share of each."""
    if membership.team_id is None:
        return []
    team_ids = {membership.team_id} | _ancestor_ids(program.org, {membership.team_id})
    shares = []
    for target in program.targets.filter(team_id__in=team_ids).select_related("team"):
        covered = with_descendants(program.org, [target.team_id])
        reps = Membership.objects.for_org(program.org).filter(
            Q(role=Role.REP) | Q(role=Role.PARTNER_REP), team_id__in=covered
        )
        count = reps.count() or 1
        shares.append({"target": target, "reps": count, "share": target.value / count})
    return shares
