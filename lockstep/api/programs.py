"""Programs and their six-question sell-in plan: list, create, change, the lifecycle (with the
launch gate and the owner's override), readiness, and each section of the plan. Every write
goes through `programs.services`, validated by the same forms as the program page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Count
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from lockstep.api.auth import caller
from lockstep.api.common import (
    Id,
    bound,
    cursor_param,
    endpoint,
    limit_param,
    next_cursor_field,
    page,
    query,
)
from lockstep.api.problems import field_error, invalid
from lockstep.api.schemas import Amount, Done, Input, IsoDate, PersonOut, person
from lockstep.core.permissions import Perm
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import ancestor_ids
from lockstep.programs import forms as f
from lockstep.programs import services
from lockstep.programs.access import (
    access_feedback,
    access_plan_row,
    access_program,
    access_target,
)
from lockstep.programs.models import (
    Champion,
    Program,
    SellInActivity,
    Target,
)
from lockstep.programs.readiness import QUESTION_TITLES
from lockstep.programs.selectors import (
    audience_team_ids,
    program_readiness,
    selling_team_ids,
    visible_programs,
)
from lockstep.results import services as results_services

router = Router(tags=["programs"])

KindName = Literal[
    "product_launch", "campaign", "lead_generation", "product_training", "pricing_change"
]
StatusName = Literal["draft", "preview", "ready", "live", "closed"]
ActivityKindName = Literal["kickoff", "cascade", "roadshow", "partner_webinar", "other"]
IncentiveName = Literal["none", "spiff", "accelerator", "quota_credit", "other"]
MetricName = Literal[
    "leads_worked", "meetings", "opportunities", "pipeline", "won_revenue", "units"
]
PeriodName = Literal["program", "month", "quarter"]
CODE_PATTERN = r"^[\w.\-/ ]{1,60}$"


# --- programs -----------------------------------------------------------------------------


class ProgramOut(Schema):
    id: int
    name: str
    kind: KindName
    status: StatusName
    summary: str = Field(description="Markdown.")
    owner: PersonOut | None
    audience_team_ids: list[int] = Field(description="As chosen; a region includes its teams.")
    launch_date: dt.date | None
    end_date: dt.date | None
    campaign_codes: list[str]
    sla_hours: int
    reminder_days: int
    training_due_days: int
    pulse_anonymous: bool
    launched_at: dt.datetime | None
    launch_score: int | None
    override_reason: str = Field(description="Why an owner launched below the gate, if so.")
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ProgramPage(Schema):
    items: list[ProgramOut]
    next_cursor: str | None = next_cursor_field()


class ProgramIn(Input):
    name: str = Field(min_length=1, max_length=160, examples=["Atlas launch"])
    kind: KindName = "product_launch"
    summary: str = Field("", max_length=20000)
    owner_member_id: int | None = Field(
        None, ge=1, description="Member id of an owner or marketer."
    )
    audience_team_ids: list[int] = Field(default_factory=list, max_length=500)
    launch_date: IsoDate | None = None
    end_date: IsoDate | None = None
    campaign_codes: list[str] = Field(default_factory=list, max_length=15)
    sla_hours: int = Field(4, ge=1, le=200)
    reminder_days: int = Field(3, ge=1, le=60)
    training_due_days: int = Field(14, ge=1, le=180)


class ProgramPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=160)
    kind: KindName | None = None
    summary: str | None = Field(None, max_length=20000)
    owner_member_id: int | None = Field(None, ge=1)
    audience_team_ids: list[int] | None = Field(None, max_length=500)
    launch_date: IsoDate | None = None
    end_date: IsoDate | None = None
    campaign_codes: list[str] | None = Field(None, max_length=15)
    sla_hours: int | None = Field(None, ge=1, le=200)
    reminder_days: int | None = Field(None, ge=1, le=60)
    training_due_days: int | None = Field(None, ge=1, le=180)


PROGRAM_RENAME = {"owner": "owner_member_id", "audience": "audience_team_ids"}


def program_out(p: Program) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "kind": p.kind,
        "status": p.status,
        "summary": p.summary,
        "owner": person(p.owner),
        "audience_team_ids": [t.pk for t in p.audience.all()],
        "launch_date": p.launch_date,
        "end_date": p.end_date,
        "campaign_codes": list(p.campaign_codes),
        "sla_hours": p.sla_hours,
        "reminder_days": p.reminder_days,
        "training_due_days": p.training_due_days,
        "pulse_anonymous": p.pulse_anonymous,
        "launched_at": p.launched_at,
        "launch_score": p.launch_score,
        "override_reason": p.override_reason,
        "archived": p.archived_at is not None,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def _codes(codes: list[str]) -> str:
    # The form reads a comma-separated list: a code with a comma is refused by name.
    return ", ".join(c.replace(",", "\u00a0,") for c in codes)


def _program_form_data(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"],
        "kind": data["kind"],
        "summary": data["summary"],
        "owner": data["owner_member_id"],
        "audience": data["audience_team_ids"],
        "launch_date": data["launch_date"],
        "end_date": data["end_date"],
        "campaign_codes": _codes(data["campaign_codes"]),
        "sla_hours": data["sla_hours"],
        "reminder_days": data["reminder_days"],
        "training_due_days": data["training_due_days"],
    }


@endpoint(
    router.get,
    "/programs",
    Perm.VIEW_PROGRAMS,
    ProgramPage,
    summary="Programs (filter by status, kind, owner, audience team, launch dates)",
)
def list_programs(
    request: HttpRequest,
    status: StatusName | Literal["archived"] | None = query(None),
    kind: KindName | None = query(None),
    owner_id: int | None = query(None, ge=1, le=2**63 - 1, description="The owner's user id."),
    team_id: int | None = query(None, ge=1, le=2**63 - 1, description="Aimed at this team."),
    launch_from: IsoDate | None = query(None, description="Launching on or after."),
    launch_to: IsoDate | None = query(None, description="Launching on or before."),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    m = caller(request)
    programs = visible_programs(m).select_related("owner").prefetch_related("audience")
    if status == "archived":
        programs = programs.filter(archived_at__isnull=False)
    else:
        programs = programs.filter(archived_at__isnull=True)
        if status:
            programs = programs.filter(status=status)
    if kind:
        programs = programs.filter(kind=kind)
    if owner_id:
        programs = programs.filter(owner_id=owner_id)
    if team_id:
        ids = {team_id} | ancestor_ids(m.org, {team_id})
        programs = programs.filter(audience__in=ids).distinct()
    if launch_from:
        programs = programs.filter(launch_date__gte=launch_from)
    if launch_to:
        programs = programs.filter(launch_date__lte=launch_to)
    return page(programs, cursor, limit, program_out)


@endpoint(
    router.post,
    "/programs",
    Perm.MANAGE_PROGRAMS,
    ProgramOut,
    status=201,
    summary="Create a program (a draft)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "name": "Atlas launch",
                        "kind": "product_launch",
                        "audience_team_ids": [2],
                        "launch_date": "2027-03-01",
                        "end_date": "2027-06-30",
                        "campaign_codes": ["ATLAS-Q1"],
                    }
                }
            }
        }
    },
)
def create_program(request: HttpRequest, payload: ProgramIn) -> Any:
    m = caller(request)
    form = bound(
        f.ProgramForm, _program_form_data(payload.model_dump()), rename=PROGRAM_RENAME, org=m.org
    )
    program = services.create_program(org=m.org, acting_user=m.user, data=form.to_input())
    if payload.sla_hours != program.sla_hours:  # the SLA is set through results (its leads)
        results_services.set_program_sla(
            program=program, acting_user=m.user, hours=payload.sla_hours
        )
    return Status(201, program_out(access_program(m, program.pk)))


@endpoint(
    router.get, "/programs/{program_id}", Perm.VIEW_PROGRAMS, ProgramOut, summary="One program"
)
def get_program(request: HttpRequest, program_id: int = Id()) -> Any:
    return program_out(access_program(caller(request), program_id))


@endpoint(
    router.patch,
    "/programs/{program_id}",
    Perm.MANAGE_PROGRAMS,
    ProgramOut,
    summary="Change a program (only the fields sent; not once closed)",
)
def patch_program(request: HttpRequest, payload: ProgramPatch, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    services.ensure_editable(program)
    owner = Membership.objects.for_org(m.org).filter(user=program.owner).first()
    current = {
        "name": program.name,
        "kind": program.kind,
        "summary": program.summary,
        "owner_member_id": owner.pk if owner else None,
        "audience_team_ids": [t.pk for t in program.audience.all()],
        "launch_date": program.launch_date,
        "end_date": program.end_date,
        "campaign_codes": list(program.campaign_codes),
        "sla_hours": program.sla_hours,
        "reminder_days": program.reminder_days,
        "training_due_days": program.training_due_days,
    }
    data = {**current, **payload.model_dump(exclude_unset=True)}
    for name in (
        "name",
        "kind",
        "summary",
        "audience_team_ids",
        "campaign_codes",
        "sla_hours",
        "reminder_days",
        "training_due_days",
    ):
        if data[name] is None:
            data[name] = current[name]
    form = bound(
        f.ProgramForm, _program_form_data(data), rename=PROGRAM_RENAME, org=m.org, program=program
    )
    services.update_program(program=program, acting_user=m.user, data=form.to_input())
    if payload.sla_hours is not None:  # through results: the open leads' deadlines follow
        results_services.set_program_sla(
            program=program, acting_user=m.user, hours=payload.sla_hours
        )
    return program_out(access_program(m, program_id))


class ArchiveIn(Input):
    archived: bool = True


@endpoint(
    router.post,
    "/programs/{program_id}/archive",
    Perm.MANAGE_PROGRAMS,
    ProgramOut,
    summary="Archive a program (hide it from lists) or restore it",
)
def archive_program(request: HttpRequest, payload: ArchiveIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    services.set_archived(program=program, acting_user=m.user, archived=payload.archived)
    return program_out(access_program(m, program_id))


class TransitionIn(Input):
    to: StatusName = Field(examples=["live"])
    override_reason: str = Field(
        "",
        max_length=2000,
        description="Owners only: launch although the gate refuses, with a written reason "
        "kept in the audit log and shown on the program.",
    )


@endpoint(
    router.post,
    "/programs/{program_id}/transitions",
    Perm.MANAGE_PROGRAMS,
    ProgramOut,
    summary="Move a program along draft → preview → ready → live → closed",
    description="Going live passes the launch gate; below it the answer is a problem "
    "with `score`, `threshold` and `findings`, unless an owner gives `override_reason`.",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": {"to": "live"}}}}},
)
def transition(request: HttpRequest, payload: TransitionIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    form = bound(f.TransitionForm, payload.model_dump())
    services.transition(
        program=program,
        acting_user=m.user,
        to=form.cleaned_data["to"],
        override_reason=form.cleaned_data["override_reason"],
        acting_role=m.role,
    )
    return program_out(access_program(m, program_id))


# --- readiness ----------------------------------------------------------------------------

QuestionName = Literal["sell_in", "buy_in", "wiifm", "kit", "targets", "training"]


class ReadinessQuestionOut(Schema):
    question: QuestionName
    title: str
    state: Literal["empty", "partial", "complete"]
    points: int
    weight: int
    findings: list[str]


class ReadinessOut(Schema):
    score: int = Field(ge=0, le=100)
    threshold: int
    passes: bool = Field(description="At or above the organization's threshold.")
    questions: list[ReadinessQuestionOut]


@endpoint(
    router.get,
    "/programs/{program_id}/readiness",
    Perm.VIEW_PROGRAMS,
    ReadinessOut,
    summary="The readiness score, each question's state and the findings to fix",
)
def readiness(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    result = program_readiness(program)
    threshold = program.org.readiness_threshold
    return {
        "score": result.score,
        "threshold": threshold,
        "passes": result.passes(threshold),
        "questions": [
            {
                "question": q.question.value,
                "title": QUESTION_TITLES[q.question],
                "state": q.state.value,
                "points": q.points,
                "weight": q.weight,
                "findings": [x.message for x in q.findings],
            }
            for q in result.questions
        ],
    }


# --- the plan ---------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    kind: ActivityKindName
    date: dt.date
    team_ids: list[int]
    owner: PersonOut | None
    notes: str


class EndorsementOut(Schema):
    id: int
    leader: PersonOut
    comment: str
    created_at: dt.datetime


class ChampionOut(Schema):
    id: int
    team_id: int
    user: PersonOut


class FeedbackOut(Schema):
    id: int
    author: PersonOut | None
    body: str
    response: str
    addressed: bool
    created_at: dt.datetime


class WiifmOut(Schema):
    wiifm: str
    incentive_kind: IncentiveName
    incentive_amount: Decimal | None
    incentive_currency: str
    proof_points: str


class TargetOut(Schema):
    id: int
    team_id: int
    metric: MetricName
    value: Decimal
    period: PeriodName
    status: Literal["pending", "acknowledged", "disputed"]
    leader_comment: str
    responded_by: PersonOut | None
    responded_at: dt.datetime | None


class PlanOut(Schema):
    program_id: int
    activities: list[ActivityOut]
    endorsements: list[EndorsementOut]
    champions: list[ChampionOut]
    feedback: list[FeedbackOut]
    wiifm: WiifmOut
    targets: list[TargetOut]


def activity_out(a: SellInActivity) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "date": a.date,
        "team_ids": [t.pk for t in a.teams.all()],
        "owner": person(a.owner),
        "notes": a.notes,
    }


def champion_out(c: Champion) -> dict[str, Any]:
    return {"id": c.pk, "team_id": c.team_id, "user": person(c.user)}


def target_out(t: Target) -> dict[str, Any]:
    return {
        "id": t.pk,
        "team_id": t.team_id,
        "metric": t.metric,
        "value": t.value,
        "period": t.period,
        "status": t.status,
        "leader_comment": t.leader_comment,
        "responded_by": person(t.responded_by),
        "responded_at": t.responded_at,
    }


def wiifm_out(p: Program) -> dict[str, Any]:
    return {name: getattr(p, name) for name in services.WIIFM_FIELDS}


@endpoint(
    router.get,
    "/programs/{program_id}/plan",
    Perm.VIEW_PROGRAMS,
    PlanOut,
    summary="The sell-in plan: activities, buy-in, WIIFM and targets",
    description="The kit is under /assets and the training under /training and /check.",
)
def plan(request: HttpRequest, program_id: int = Id()) -> Any:
    p = access_program(caller(request), program_id)
    return {
        "program_id": p.pk,
        "activities": [
            activity_out(a) for a in p.activities.prefetch_related("teams").select_related("owner")
        ],
        "endorsements": [
            {
                "id": e.pk,
                "leader": person(e.leader),
                "comment": e.comment,
                "created_at": e.created_at,
            }
            for e in p.endorsements.select_related("leader")
        ],
        "champions": [champion_out(c) for c in p.champions.select_related("user")],
        "feedback": [
            {
                "id": x.pk,
                "author": person(x.author),
                "body": x.body,
                "response": x.response,
                "addressed": x.addressed_at is not None,
                "created_at": x.created_at,
            }
            for x in p.feedback.select_related("author")
        ],
        "wiifm": wiifm_out(p),
        "targets": [target_out(t) for t in p.targets.select_related("responded_by")],
    }


def editable(request: HttpRequest, program_id: int) -> Program:
    program = access_program(caller(request), program_id)
    services.ensure_editable(program)
    return program


# (1) sell-in activities


class ActivityIn(Input):
    kind: ActivityKindName = Field(examples=["kickoff"])
    date: IsoDate
    team_ids: list[int] = Field(min_length=1, max_length=500, description="Audience teams.")
    owner_member_id: int | None = Field(None, ge=1)
    notes: str = Field("", max_length=2000)


@endpoint(
    router.post,
    "/programs/{program_id}/activities",
    Perm.MANAGE_PROGRAMS,
    ActivityOut,
    status=201,
    summary="Add a sell-in activity",
)
def add_activity(request: HttpRequest, payload: ActivityIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    data = {
        "kind": payload.kind,
        "date": payload.date,
        "teams": payload.team_ids,
        "owner": payload.owner_member_id,
        "notes": payload.notes,
    }
    form = bound(
        f.ActivityForm,
        data,
        rename={"teams": "team_ids", "owner": "owner_member_id"},
        org=m.org,
        team_ids=audience_team_ids(program),
    )
    activity = services.add_activity(program=program, acting_user=m.user, data=form.to_input())
    return Status(201, activity_out(activity))


def _remove(request: HttpRequest, program_id: int, model: Any, item_id: int) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    obj = access_plan_row(m, program, model, item_id)
    services.remove_plan_row(program=program, acting_user=m.user, obj=obj)
    return Status(204, None)


@endpoint(
    router.delete,
    "/programs/{program_id}/activities/{item_id}",
    Perm.MANAGE_PROGRAMS,
    None,
    status=204,
    summary="Remove a sell-in activity",
)
def remove_activity(request: HttpRequest, program_id: int = Id(), item_id: int = Id()) -> Any:
    return _remove(request, program_id, SellInActivity, item_id)


# (2) buy-in


class EndorseIn(Input):
    comment: str = Field("", max_length=1000)


@endpoint(
    router.post,
    "/programs/{program_id}/endorsements",
    Perm.LEAD_TEAMS,
    EndorsementOut,
    status=201,
    summary="Endorse a program aimed at your teams (sales leaders)",
)
def endorse(request: HttpRequest, payload: EndorseIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    e = services.endorse(program=program, membership=m, comment=payload.comment)
    return Status(
        201,
        {"id": e.pk, "leader": person(m.user), "comment": e.comment, "created_at": e.created_at},
    )


class ChampionIn(Input):
    member_id: int = Field(ge=1, description="A rep of an audience team.")


@endpoint(
    router.post,
    "/programs/{program_id}/champions",
    Perm.MANAGE_PROGRAMS,
    ChampionOut,
    status=201,
    summary="Name a champion in an audience team",
)
def add_champion(request: HttpRequest, payload: ChampionIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    form = bound(
        f.ChampionForm,
        {"member": payload.member_id},
        rename={"member": "member_id"},
        org=m.org,
        team_ids=selling_team_ids(program),
    )
    champion = services.add_champion(
        program=program, acting_user=m.user, member=form.cleaned_data["member"]
    )
    return Status(201, champion_out(champion))


class ChampionPick(Input):
    team_id: int = Field(ge=1, description="A selling audience team.")
    member_id: int = Field(ge=1, description="A rep of that team.")


class AudienceChampionsIn(Input):
    picks: list[ChampionPick] = Field(
        default_factory=list,
        max_length=500,
        description="One rep per team; teams left out are skipped.",
    )
    leaders: bool = Field(False, description="Instead of picks: the leader of each team.")


class ChampionList(Schema):
    items: list[ChampionOut]


@endpoint(
    router.post,
    "/programs/{program_id}/champions/audience",
    Perm.MANAGE_PROGRAMS,
    ChampionList,
    status=201,
    summary="Name champions in several audience teams at once (all or nothing)",
)
def add_audience_champions(
    request: HttpRequest, payload: AudienceChampionsIn, program_id: int = Id()
) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    selling = selling_team_ids(program)
    if payload.leaders == bool(payload.picks):
        raise invalid([field_error("picks", "Give picks, or leaders: true (one of the two).")])
    errors = [
        field_error(f"picks.{i}.team_id", "Not a selling team of this program's audience.")
        for i, pick in enumerate(payload.picks)
        if pick.team_id not in selling
    ]
    if len({p.team_id for p in payload.picks}) != len(payload.picks):
        errors.append(field_error("picks", "One rep per team: a team is listed twice."))
    if errors:
        raise invalid(errors)
    data: dict[str, Any] = {"mode": "leaders" if payload.leaders else "pick"}
    data.update({f"team_{p.team_id}": p.member_id for p in payload.picks})
    rename = {
        f"champs-team_{p.team_id}": f"picks.{i}.member_id" for i, p in enumerate(payload.picks)
    }
    form = bound(
        f.AudienceChampionsForm,
        {f"champs-{k}": v for k, v in data.items()},
        rename={**rename, "champs-mode": "leaders"},
        org=m.org,
        team_ids=selling,
    )
    champions = services.add_champions(
        program=program, acting_user=m.user, picks=form.cleaned_data["picks"]
    )
    return Status(201, {"items": [champion_out(c) for c in champions]})


@endpoint(
    router.delete,
    "/programs/{program_id}/champions/{item_id}",
    Perm.MANAGE_PROGRAMS,
    None,
    status=204,
    summary="Remove a champion",
)
def remove_champion(request: HttpRequest, program_id: int = Id(), item_id: int = Id()) -> Any:
    return _remove(request, program_id, Champion, item_id)


class FeedbackIn(Input):
    body: str = Field(min_length=1, max_length=2000)


@endpoint(
    router.post,
    "/programs/{program_id}/feedback",
    Perm.GIVE_FEEDBACK,
    FeedbackOut,
    status=201,
    summary="Give preview feedback (the audience, while in preview)",
)
def give_feedback(request: HttpRequest, payload: FeedbackIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    form = bound(f.TextForm, {"body": payload.body})
    x = services.give_feedback(program=program, membership=m, body=form.cleaned_data["body"])
    out = {
        "id": x.pk,
        "author": person(m.user),
        "body": x.body,
        "response": x.response,
        "addressed": False,
        "created_at": x.created_at,
    }
    return Status(201, out)


class FeedbackResponseIn(Input):
    response: str = Field("", max_length=4000)
    addressed: bool = False


@endpoint(
    router.post,
    "/programs/{program_id}/feedback/{item_id}/response",
    Perm.MANAGE_PROGRAMS,
    Done,
    summary="Answer preview feedback",
)
def respond_feedback(
    request: HttpRequest, payload: FeedbackResponseIn, program_id: int = Id(), item_id: int = Id()
) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    item = access_feedback(m, program, item_id)
    form = bound(f.FeedbackResponseForm, payload.model_dump())
    services.respond_feedback(item=item, acting_user=m.user, **form.cleaned_data)
    return {"ok": True, "detail": "Answered."}


# (3) WIIFM


class WiifmIn(Input):
    wiifm: str = Field("", max_length=280, description="In the rep's words.")
    incentive_kind: IncentiveName = "none"
    incentive_amount: Amount | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    incentive_currency: str = Field("", max_length=3, examples=["EUR"])
    proof_points: str = Field("", max_length=5000)


@endpoint(
    router.put,
    "/programs/{program_id}/wiifm",
    Perm.MANAGE_PROGRAMS,
    WiifmOut,
    summary="What's in it for the rep: statement, incentive, proof points",
)
def save_wiifm(request: HttpRequest, payload: WiifmIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    form = bound(f.WiifmForm, payload.model_dump())
    services.save_wiifm(program=program, acting_user=m.user, data=form.to_input())
    return wiifm_out(access_program(m, program_id))


# (5) targets


class TargetList(Schema):
    items: list[TargetOut]


class TargetIn(Input):
    team_id: int = Field(ge=1, description="An audience team.")
    metric: MetricName
    value: Amount = Field(ge=Decimal("0.01"), max_digits=14, decimal_places=2)
    period: PeriodName = "program"


class TargetResponseIn(Input):
    status: Literal["acknowledged", "disputed"]
    comment: str = Field("", max_length=2000, description="Required to dispute.")


@endpoint(
    router.get,
    "/programs/{program_id}/targets",
    Perm.VIEW_PROGRAMS,
    TargetList,
    summary="Per-team targets",
)
def list_targets(request: HttpRequest, program_id: int = Id()) -> Any:
    program = access_program(caller(request), program_id)
    return {"items": [target_out(t) for t in program.targets.select_related("responded_by")]}


@endpoint(
    router.post,
    "/programs/{program_id}/targets",
    Perm.MANAGE_PROGRAMS,
    TargetOut,
    status=201,
    summary="Set a team's target (replaces the same team and metric)",
)
def add_target(request: HttpRequest, payload: TargetIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    data = {
        "team": payload.team_id,
        "metric": payload.metric,
        "value": payload.value,
        "period": payload.period,
    }
    form = bound(
        f.TargetForm,
        data,
        rename={"team": "team_id"},
        org=m.org,
        team_ids=audience_team_ids(program),
    )
    target = services.add_target(program=program, acting_user=m.user, **form.cleaned_data)
    return Status(201, target_out(target))


class AudienceTargetIn(Input):
    metric: MetricName
    value: Amount = Field(
        ge=Decimal("0.01"), max_digits=14, decimal_places=2,
        description="The total to split by headcount, or each team's value (split: equal).",
    )  # fmt: skip
    period: PeriodName = "program"
    split: Literal["headcount", "equal"] = "headcount"


@endpoint(
    router.post,
    "/programs/{program_id}/targets/audience",
    Perm.MANAGE_PROGRAMS,
    TargetList,
    status=201,
    summary="The same target for every selling audience team (split by headcount or equal)",
    description="Replaces each team's target for the metric; all or nothing.",
)
def set_audience_targets(
    request: HttpRequest, payload: AudienceTargetIn, program_id: int = Id()
) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    form = bound(
        f.AudienceTargetForm,
        {f"all-{k}": v for k, v in payload.model_dump().items()},
        rename={f"all-{k}": k for k in ("metric", "value", "period", "split")},
    )
    targets = services.set_audience_targets(
        program=program, acting_user=m.user, **form.cleaned_data
    )
    return Status(201, {"items": [target_out(t) for t in targets]})


@endpoint(
    router.delete,
    "/programs/{program_id}/targets/{item_id}",
    Perm.MANAGE_PROGRAMS,
    None,
    status=204,
    summary="Remove a target",
)
def remove_target(request: HttpRequest, program_id: int = Id(), item_id: int = Id()) -> Any:
    return _remove(request, program_id, Target, item_id)


@endpoint(
    router.post,
    "/programs/{program_id}/targets/{item_id}/response",
    Perm.LEAD_TEAMS,
    TargetOut,
    summary="Acknowledge or dispute your team's target (its leader)",
)
def respond_target(
    request: HttpRequest, payload: TargetResponseIn, program_id: int = Id(), item_id: int = Id()
) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    target = access_target(m, program, item_id)
    form = bound(f.TargetResponseForm, payload.model_dump())
    services.respond_target(
        target=target,
        membership=m,
        status=form.cleaned_data["status"],
        comment=form.cleaned_data["comment"],
    )
    return target_out(access_target(m, program, item_id))


def audience_counts(program: Program) -> Any:  # kept small: used by the scorecard
    return program.audience.aggregate(n=Count("id"))["n"]
