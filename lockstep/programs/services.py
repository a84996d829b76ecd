"""State changes for programs and their sell-in plan, and the launch gate.

Each service runs in a transaction, writes the audit log and, where a measurement needs it,
an activity event. Rules that are not input validation (who may endorse, the launch gate,
which transitions exist, that a closed program is frozen) are enforced here and raise a
`ProgramError` (a `DomainError`), which the web and API layers turn into a clear answer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.errors import Conflict, DomainError, NotAllowed
from lockstep.core.events import Action, Verb
from lockstep.core.permissions import Perm, can, role_can
from lockstep.core.services import diff, emit_event, record_audit
from lockstep.orgs.models import Membership, Organization, Team
from lockstep.orgs.selectors import leader_team_ids, team_headcounts
from lockstep.programs import readiness as rd
from lockstep.programs.inputs import (
    ActivityInput,
    AssetInput,
    CheckQuestionInput,
    ProgramInput,
    TrainingInput,
    WiifmInput,
)
from lockstep.programs.launch import invite_snapshot
from lockstep.programs.models import (
    COUNT_METRICS,
    Asset,
    Champion,
    CheckChoice,
    CheckQuestion,
    Endorsement,
    KnowledgeCheck,
    PreviewFeedback,
    Program,
    ProgramChild,
    ProgramStatus,
    PulseRound,
    SellInActivity,
    Target,
    TargetMetric,
    TargetStatus,
    TrainingItem,
    TrainingKind,
)
from lockstep.programs.selectors import collect_facts, in_audience, selling_team_ids
from lockstep.programs.tasks import announce_launch, send_session_invites


class ProgramError(DomainError):
    """A rule of the product refused the change; the message says why, in plain words."""


class ProgramClosed(Conflict):
    pass


@dataclass(frozen=True)
class Gate:
    """What "ready" means: sold in, not only written. A program becomes ready (and goes
    live) when its readiness reaches the organization's threshold, a leader of an audience
    team has endorsed it and sales saw it in a preview round — or an owner records an
    exception with a written reason (docs/readiness.md)."""

    readiness: rd.Readiness
    threshold: int
    endorsed: bool
    previewed: bool

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if not self.readiness.passes(self.threshold):
            reasons.append(
                f"The readiness score is {self.readiness.score}, below the threshold of "
                f"{self.threshold}."
            )
        if not self.endorsed:
            reasons.append("No sales leader of an audience team has endorsed it.")
        if not self.previewed:
            reasons.append("Sales has not seen it in a preview round.")
        return reasons

    @property
    def passed(self) -> bool:
        return not self.reasons


def launch_gate(program: Program) -> Gate:
    facts = collect_facts(program)
    return Gate(
        readiness=rd.score(facts),
        threshold=program.org.readiness_threshold,
        endorsed=facts.endorsement_count >= 1,
        previewed=facts.preview_held,
    )


class GateRefused(ProgramError):
    def __init__(self, gate: Gate, to: str) -> None:
        verb = "go live" if to == ProgramStatus.LIVE else "be ready"
        super().__init__(f"The program cannot {verb} yet: " + " ".join(gate.reasons))
        self.gate = gate
        self.readiness = gate.readiness
        self.threshold = gate.threshold
        self.to = to


def ensure_editable(program: Program) -> None:
    """A closed program is a record of what happened: its plan no longer changes."""
    if program.status == ProgramStatus.CLOSED:
        raise ProgramClosed("A closed program cannot be changed.")


def _audit(program: Program, acting_user: User | None, action: Action, obj: Any, **kw: Any) -> None:
    record_audit(org=program.org, acting_user=acting_user, action=action, obj=obj, **kw)


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
)


def _program_values(program: Program) -> dict[str, Any]:
    values = {f: getattr(program, f) for f in PROGRAM_FIELDS}
    values["audience"] = sorted(t.name for t in program.audience.all()) if program.pk else []
    return values


def _apply(program: Program, data: ProgramInput) -> None:
    for name in PROGRAM_FIELDS:
        value = getattr(data, name)
        setattr(program, name, list(value) if name == "campaign_codes" else value)


@transaction.atomic
def create_program(*, org: Organization, acting_user: User, data: ProgramInput) -> Program:
    program = Program(org=org)
    _apply(program, data)
    program.save()
    program.audience.set(list(data.audience))
    record_audit(
        org=org,
        acting_user=acting_user,
        action=Action.PROGRAM_CREATED,
        obj=program,
        changes=diff({}, _program_values(program)),
    )
    emit_event(org=org, actor=acting_user, verb=Verb.PROGRAM_CREATED, program_id=program.pk)
    return program


@transaction.atomic
def update_program(*, program: Program, acting_user: User, data: ProgramInput) -> None:
    ensure_editable(program)
    before = _program_values(program)
    _apply(program, data)
    program.save()
    program.audience.set(list(data.audience))
    changes = diff(before, _program_values(program))
    if changes:
        _audit(program, acting_user, Action.PROGRAM_UPDATED, program, changes=changes)


@transaction.atomic
def set_sla_hours(*, program: Program, acting_user: User, hours: int) -> None:
    """The first-touch SLA of the program's leads, in business hours. Set from the
    program's results page (`results.services.set_program_sla`, which also recomputes the
    deadlines of its open leads)."""
    ensure_editable(program)
    before = program.sla_hours
    if before == hours:
        return
    program.sla_hours = hours
    program.save(update_fields=["sla_hours"])
    _audit(program, acting_user, Action.PROGRAM_UPDATED, program,
           changes={"sla_hours": [before, hours]})  # fmt: skip


@transaction.atomic
def set_archived(*, program: Program, acting_user: User, archived: bool) -> None:
    program.archived_at = timezone.now() if archived else None
    program.save(update_fields=["archived_at", "updated_at"])
    action = Action.PROGRAM_ARCHIVED if archived else Action.PROGRAM_UNARCHIVED
    _audit(program, acting_user, action, program)


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
    organization's threshold it is refused unless an owner gives a written reason. The
    launch announcement (e-mails, notifications, invites) is a task queued on commit."""
    program = Program.objects.select_for_update().select_related("org").get(pk=program.pk)
    if to not in TRANSITIONS[program.status]:
        raise Conflict(
            f"A {program.get_status_display().lower()} program cannot move to "
            f"{ProgramStatus(to).label.lower()}."
        )
    note = ""
    if to in (ProgramStatus.READY, ProgramStatus.LIVE):
        gate = launch_gate(program)
        if not gate.passed:
            if not override_reason.strip() or not role_can(acting_role, Perm.OVERRIDE_GATE):
                raise GateRefused(gate, to)
            program.override_reason = override_reason.strip()
            program.override_by = acting_user
            note = f"Exception to the gate ({' '.join(gate.reasons)}): {override_reason.strip()}"
        if to == ProgramStatus.LIVE:
            program.launched_at = timezone.now()
            program.launch_score = gate.readiness.score
            PulseRound.objects.get_or_create(org=program.org, program=program, day_offset=0)
    before = program.status
    program.status = to
    program.save()
    _audit(
        program,
        acting_user,
        Action.PROGRAM_STATUS_CHANGED,
        program,
        changes={"status": [before, to]},
        note=note,
    )
    emit_event(
        org=program.org,
        actor=acting_user,
        verb=Verb.for_status(to),
        program_id=program.pk,
        payload={"from": before, "score": program.launch_score},
    )
    if to == ProgramStatus.LIVE:
        program_id = program.pk
        transaction.on_commit(lambda: announce_launch.enqueue(program_id))
    return program


# --- the six sections ---------------------------------------------------------------------


@transaction.atomic
def add_activity(*, program: Program, acting_user: User, data: ActivityInput) -> SellInActivity:
    ensure_editable(program)
    activity = SellInActivity.objects.create(
        org=program.org,
        program=program,
        kind=data.kind,
        date=data.date,
        owner=data.owner,
        notes=data.notes,
    )
    activity.teams.set(list(data.teams))
    _audit(program, acting_user, Action.ACTIVITY_ADDED, activity)
    return activity


REMOVAL_ACTIONS: dict[type[ProgramChild], Action] = {
    SellInActivity: Action.ACTIVITY_REMOVED,
    Champion: Action.CHAMPION_REMOVED,
    Asset: Action.ASSET_REMOVED,
    Target: Action.TARGET_REMOVED,
}


@transaction.atomic
def remove_plan_row(*, program: Program, acting_user: User, obj: ProgramChild) -> None:
    """Remove one row of the plan (an activity, champion, asset, target or training item)."""
    ensure_editable(program)
    if isinstance(obj, TrainingItem):
        remove_training(item=obj, acting_user=acting_user)
        return
    _audit(program, acting_user, REMOVAL_ACTIONS[type(obj)], obj)
    obj.delete()


WIIFM_FIELDS = ("wiifm", "incentive_kind", "incentive_amount", "incentive_currency", "proof_points")


@transaction.atomic
def save_wiifm(*, program: Program, acting_user: User, data: WiifmInput) -> None:
    ensure_editable(program)
    before = {f: getattr(program, f) for f in WIIFM_FIELDS}
    for name in WIIFM_FIELDS:
        setattr(program, name, getattr(data, name))
    if program.incentive_kind == "none":
        program.incentive_amount, program.incentive_currency = None, ""
    program.save()
    changes = diff(before, {f: getattr(program, f) for f in WIIFM_FIELDS})
    if changes:
        _audit(program, acting_user, Action.WIIFM_CHANGED, program, changes=changes)


def can_endorse(membership: Membership, program: Program) -> bool:
    return can(membership, Perm.LEAD_TEAMS) and in_audience(membership, program)


@transaction.atomic
def endorse(*, program: Program, membership: Membership, comment: str = "") -> Endorsement:
    """Only the sales leader themself endorses, and only for a program aimed at their teams."""
    ensure_editable(program)
    if not can_endorse(membership, program):
        raise NotAllowed("Only a sales leader of an audience team can endorse this program.")
    endorsement, created = Endorsement.objects.get_or_create(
        org=program.org, program=program, leader=membership.user, defaults={"comment": comment}
    )
    if not created:
        raise Conflict("You have already endorsed this program.")
    _audit(program, membership.user, Action.ENDORSED, endorsement)
    emit_event(
        org=program.org, actor=membership.user, verb=Verb.PROGRAM_ENDORSED, program_id=program.pk
    )
    return endorsement


@transaction.atomic
def add_champion(*, program: Program, acting_user: User, member: Membership) -> Champion:
    ensure_editable(program)
    if member.team is None or member.team_id not in selling_team_ids(program):
        raise ProgramError("A champion is a rep of one of the audience teams.")
    champion, _ = Champion.objects.get_or_create(
        org=program.org, program=program, team=member.team, user=member.user
    )
    _audit(program, acting_user, Action.CHAMPION_ADDED, champion)
    return champion


def champion_refusal(program: Program, team: Team, member: Membership) -> str:
    """Why `member` cannot champion the program in `team` ("" when they can): a champion
    is a rep of that audience team, or a sales leader who leads it."""
    if team.org_id != program.org_id or team.pk not in selling_team_ids(program):
        return f"{team.name} is not an audience team where reps sell."
    if member.is_rep and member.team_id == team.pk:
        return ""
    if member.is_leader and team.pk in leader_team_ids(member):
        return ""
    return f"{member.user} is neither a rep of {team.name} nor one of its leaders."


@transaction.atomic
def add_champions(
    *, program: Program, acting_user: User, picks: list[tuple[Team, Membership]]
) -> list[Champion]:
    """Name champions in several audience teams in one go (a rep of each team, or the
    team's leader). All or nothing: one refused pick writes no champion, and the message
    lists every refusal."""
    ensure_editable(program)
    refusals = [r for team, member in picks if (r := champion_refusal(program, team, member))]
    if refusals:
        raise ProgramError(" ".join(refusals))
    champions = []
    for team, member in picks:
        champion, created = Champion.objects.get_or_create(
            org=program.org, program=program, team=team, user=member.user
        )
        if created:
            _audit(program, acting_user, Action.CHAMPION_ADDED, champion, note="named in bulk")
        champions.append(champion)
    return champions


@transaction.atomic
def give_feedback(*, program: Program, membership: Membership, body: str) -> PreviewFeedback:
    if program.status != ProgramStatus.PREVIEW:
        raise Conflict("Feedback is collected while the program is in preview.")
    if not in_audience(membership, program):
        raise NotAllowed("Only sales leaders and reps of the audience give preview feedback.")
    item = PreviewFeedback.objects.create(
        org=program.org, program=program, author=membership.user, body=body
    )
    emit_event(
        org=program.org, actor=membership.user, verb=Verb.PREVIEW_FEEDBACK, program_id=program.pk
    )
    return item


@transaction.atomic
def respond_feedback(
    *, item: PreviewFeedback, acting_user: User, response: str, addressed: bool
) -> None:
    ensure_editable(item.program)
    item.response = response
    item.responded_by = acting_user
    item.addressed_at = timezone.now() if addressed else None
    item.save()
    _audit(item.program, acting_user, Action.FEEDBACK_ANSWERED, item)


@transaction.atomic
def add_asset(*, program: Program, acting_user: User, data: AssetInput) -> Asset:
    ensure_editable(program)
    asset = Asset(
        org=program.org,
        program=program,
        kind=data.kind,
        title=data.title,
        url=data.url,
        owner=data.owner,
        expires_on=data.expires_on,
        partner_visible=data.partner_visible,
    )
    if data.file is not None:
        asset.file = data.file
        asset.original_name = (data.file.name or "file")[:200]
        asset.size = data.file.size or 0
        asset.content_type = data.file.content_type or "application/octet-stream"
    asset.save()
    _audit(program, acting_user, Action.ASSET_ADDED, asset)
    return asset


@transaction.atomic
def add_target(
    *, program: Program, acting_user: User, team: Team, metric: str, value: Decimal, period: str
) -> Target:
    ensure_editable(program)
    target, created = Target.objects.update_or_create(
        org=program.org,
        program=program,
        team=team,
        metric=metric,
        defaults={"value": value, "period": period, "status": TargetStatus.PENDING},
    )
    action = Action.TARGET_ADDED if created else Action.TARGET_CHANGED
    _audit(program, acting_user, action, target, changes={"value": [None, str(value)]})
    return target


class Split(StrEnum):
    """How "the same target for every audience team" is shared out."""

    HEADCOUNT = "headcount"  # a total, split in proportion to each team's reps
    EQUAL = "equal"  # the value is each team's target


def whole_units(metric: str) -> bool:
    return metric in COUNT_METRICS or metric == TargetMetric.UNITS


def split_by_headcount(
    total: Decimal, headcounts: dict[int, int], *, whole: bool
) -> dict[int, Decimal]:
    """The total shared in proportion to headcount, in whole units (or cents), adding up to
    the total exactly: each team gets its share rounded down, and the units left over go to
    the teams with the largest remainders (ties: in the order given)."""
    quantum = Decimal(1) if whole else Decimal("0.01")
    units = int(total / quantum)
    people = sum(headcounts.values())
    if people == 0:
        return dict.fromkeys(headcounts, Decimal(0))
    base = {t: units * n // people for t, n in headcounts.items()}
    order = sorted(headcounts, key=lambda t: -((units * headcounts[t]) % people))
    for team_id in order[: units - sum(base.values())]:
        base[team_id] += 1
    return {t: (quantum * n).quantize(quantum) for t, n in base.items()}


def audience_target_values(
    program: Program, *, metric: str, value: Decimal, split: str
) -> dict[Team, Decimal]:
    """Each selling audience team's value for "the same target for every audience team",
    or a `ProgramError` that says why it cannot be shared out (nothing is written)."""
    teams = sorted(
        Team.objects.for_org(program.org).filter(pk__in=selling_team_ids(program)),
        key=lambda t: (t.name.lower(), t.pk),
    )
    if not teams:
        raise ProgramError("Pick the audience teams before setting targets.")
    whole = whole_units(metric)
    if whole and value != value.to_integral_value():
        label = TargetMetric(metric).label.lower()
        raise ProgramError(f"{label.capitalize()} are counted in whole units: give a whole number.")
    if split == Split.EQUAL:
        return dict.fromkeys(teams, value)
    headcounts = team_headcounts(program.org, [t.pk for t in teams])
    nobody = [t.name for t in teams if headcounts[t.pk] == 0]
    if nobody:
        raise ProgramError(
            f"{_names(nobody)} {'has' if len(nobody) == 1 else 'have'} no reps, so a split by "
            "headcount gives nothing there: split equally, or add their reps first."
        )
    shares = split_by_headcount(value, {t.pk: headcounts[t.pk] for t in teams}, whole=whole)
    empty = [t.name for t in teams if shares[t.pk] <= 0]
    if empty:
        raise ProgramError(
            f"A total of {value.normalize():f} split over {len(teams)} teams by headcount leaves "
            f"{_names(empty)} with nothing: give a larger total."
        )
    return {t: shares[t.pk] for t in teams}


def _names(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


@transaction.atomic
def set_audience_targets(
    *, program: Program, acting_user: User, metric: str, value: Decimal, period: str, split: str
) -> list[Target]:
    """The same target for every selling audience team, in one go: a total split by
    headcount, or the same value per team. A team's existing target for the metric is
    replaced (and waits for its leader again); each team's target is edited on its own
    afterwards. All or nothing: a refusal writes no target."""
    ensure_editable(program)
    values = audience_target_values(program, metric=metric, value=value, split=split)
    note = f"same target for every audience team ({split})"
    targets = []
    for team, team_value in values.items():
        target, created = Target.objects.update_or_create(
            org=program.org,
            program=program,
            team=team,
            metric=metric,
            defaults={"value": team_value, "period": period, "status": TargetStatus.PENDING},
        )
        action = Action.TARGET_ADDED if created else Action.TARGET_CHANGED
        changes = {"value": [None, str(team_value)]}
        _audit(program, acting_user, action, target, changes=changes, note=note)
        targets.append(target)
    return targets


def can_respond_target(membership: Membership, target: Target) -> bool:
    return can(membership, Perm.LEAD_TEAMS) and target.team_id in leader_team_ids(membership)


@transaction.atomic
def respond_target(
    *, target: Target, membership: Membership, status: str, comment: str = ""
) -> None:
    ensure_editable(target.program)
    if not can_respond_target(membership, target):
        raise NotAllowed("Only a leader of this team can acknowledge or dispute its target.")
    before = target.status
    target.status = status
    target.leader_comment = comment
    target.responded_by = membership.user
    target.responded_at = timezone.now()
    target.save()
    acknowledged = status == TargetStatus.ACKNOWLEDGED
    _audit(
        target.program,
        membership.user,
        Action.TARGET_ACKNOWLEDGED if acknowledged else Action.TARGET_DISPUTED,
        target,
        changes={"status": [before, status]},
        note=comment,
    )
    emit_event(
        org=target.org,
        actor=membership.user,
        verb=Verb.TARGET_ACKNOWLEDGED if acknowledged else Verb.TARGET_DISPUTED,
        program_id=target.program_id,
    )


# --- training and the knowledge check -----------------------------------------------------

TRAINING_FIELDS = (
    "title",
    "starts_at",
    "duration_minutes",
    "join_url",
    "content_url",
    "content",
    "required",
)


@transaction.atomic
def add_training(*, program: Program, acting_user: User, data: TrainingInput) -> TrainingItem:
    ensure_editable(program)
    item = TrainingItem.objects.create(
        org=program.org,
        program=program,
        kind=data.kind,
        **{name: getattr(data, name) for name in TRAINING_FIELDS},
    )
    _audit(program, acting_user, Action.TRAINING_ADDED, item)
    _invite_if_live(item, "REQUEST")
    return item


@transaction.atomic
def update_training(*, item: TrainingItem, acting_user: User, data: TrainingInput) -> None:
    """Change a session (not its kind); a live session's invite is updated (same UID, next
    SEQUENCE)."""
    ensure_editable(item.program)
    before = {f: getattr(item, f) for f in TRAINING_FIELDS}
    for name in TRAINING_FIELDS:
        setattr(item, name, getattr(data, name))
    changes = diff(before, {f: getattr(item, f) for f in TRAINING_FIELDS})
    if not changes:
        return
    item.ics_sequence += 1
    item.save()
    _audit(item.program, acting_user, Action.TRAINING_CHANGED, item, changes=changes)
    _invite_if_live(item, "REQUEST", update=True)


@transaction.atomic
def remove_training(*, item: TrainingItem, acting_user: User) -> None:
    ensure_editable(item.program)
    item.ics_sequence += 1
    item.save(update_fields=["ics_sequence"])
    _invite_if_live(item, "CANCEL")
    _audit(item.program, acting_user, Action.TRAINING_REMOVED, item)
    item.delete()


def _invite_if_live(item: TrainingItem, method: str, *, update: bool = False) -> None:
    """Invites (or their update or cancellation) go out from a task queued on commit; a
    cancellation carries what the invite needs, since the row is gone by then."""
    if item.kind == TrainingKind.LIVE and item.program.status == ProgramStatus.LIVE:
        snapshot = invite_snapshot(item)
        transaction.on_commit(lambda: send_session_invites.enqueue(snapshot, method, update))


@transaction.atomic
def set_knowledge_check(
    *, program: Program, acting_user: User, title: str, pass_mark: int, attempts_allowed: int
) -> KnowledgeCheck:
    ensure_editable(program)
    check, _ = KnowledgeCheck.objects.update_or_create(
        program=program,
        defaults={
            "org": program.org,
            "title": title,
            "pass_mark": pass_mark,
            "attempts_allowed": attempts_allowed,
        },
    )
    _audit(program, acting_user, Action.CHECK_SAVED, check)
    return check


@transaction.atomic
def add_check_question(
    *, check: KnowledgeCheck, acting_user: User, data: CheckQuestionInput
) -> CheckQuestion:
    ensure_editable(check.program)
    question = CheckQuestion.objects.create(
        org=check.org,
        knowledge_check=check,
        text=data.text,
        kind=data.kind,
        explanation=data.explanation,
        position=check.questions.count(),
    )
    CheckChoice.objects.bulk_create(
        CheckChoice(question=question, text=t, correct=c, position=i)
        for i, (t, c) in enumerate(data.choices)
    )
    _audit(check.program, acting_user, Action.CHECK_QUESTION_ADDED, question)
    return question


@transaction.atomic
def delete_check_question(*, question: CheckQuestion, acting_user: User) -> None:
    program = question.knowledge_check.program
    ensure_editable(program)
    _audit(program, acting_user, Action.CHECK_QUESTION_REMOVED, question)
    question.delete()


# --- the pulse schedule -------------------------------------------------------------------


@transaction.atomic
def set_pulse_anonymous(*, program: Program, acting_user: User, anonymous: bool) -> None:
    """The feedback app decides whether the switch may move (answers exist); this writes it."""
    ensure_editable(program)
    if program.pulse_anonymous == anonymous:
        return
    before = program.pulse_anonymous
    program.pulse_anonymous = anonymous
    program.save(update_fields=["pulse_anonymous", "updated_at"])
    _audit(
        program,
        acting_user,
        Action.PULSE_SETTINGS_CHANGED,
        program,
        changes={"pulse_anonymous": [before, anonymous]},
    )


@transaction.atomic
def add_pulse_round(*, program: Program, acting_user: User, day_offset: int) -> PulseRound:
    ensure_editable(program)
    pulse_round, created = PulseRound.objects.get_or_create(
        org=program.org, program=program, day_offset=day_offset
    )
    if created:
        _audit(program, acting_user, Action.PULSE_ROUND_ADDED, pulse_round)
    return pulse_round


# --- kit use ------------------------------------------------------------------------------


def record_asset_use(*, asset: Asset, user: User, verb: Verb) -> None:
    emit_event(org=asset.org, actor=user, verb=verb, program_id=asset.program_id, obj=asset)
