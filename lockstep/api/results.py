"""Leads (list, work: touch, accept, reject with a reason, reassign; marketing assigns
unmatched ones), opportunities, and the figures: funnel, team drill-down, results and the
program scorecard. `POST /leads` (the CRM's batch upsert) lives in `api.leads`."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Router, Schema
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
from lockstep.api.leads import router as leads_router
from lockstep.api.schemas import Input, PersonOut, person
from lockstep.core.permissions import Perm
from lockstep.feedback.services import answer_times, pulse_summary
from lockstep.insights import funnel
from lockstep.orgs.access import access_membership, access_team
from lockstep.orgs.selectors import team_scope, with_descendants
from lockstep.programs.access import access_program
from lockstep.programs.models import Program
from lockstep.programs.selectors import audience_team_ids, program_readiness
from lockstep.results import services as results
from lockstep.results.access import access_lead, workable_leads
from lockstep.results.forms import TouchForm
from lockstep.results.models import Lead, Opportunity
from lockstep.results.selectors import program_leads, program_results, visible_opportunities

router = leads_router  # one router for /leads: the CRM's POST and these share the path
figures = Router(tags=["figures"])

LeadStatusName = Literal["new", "working", "accepted", "rejected", "converted"]


class LeadOut(Schema):
    id: int
    external_id: str
    program_id: int | None
    campaign: str
    rep: PersonOut | None
    company: str
    contact_name: str
    email: str
    phone: str
    source: str
    status: LeadStatusName
    created_at: dt.datetime
    first_touch_at: dt.datetime | None
    sla_due_at: dt.datetime | None
    rejection_reason: str | None = Field(description="The reason's code.")
    rejection_comment: str


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None = next_cursor_field()


def lead_out(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "external_id": lead.external_id,
        "program_id": lead.program_id,
        "campaign": lead.campaign,
        "rep": person(lead.rep),
        "company": lead.company,
        "contact_name": lead.contact_name,
        "email": lead.email,
        "phone": lead.phone,
        "source": lead.source,
        "status": lead.status,
        "created_at": lead.created_at,
        "first_touch_at": lead.first_touch_at,
        "sla_due_at": lead.sla_due_at,
        "rejection_reason": lead.rejection_reason.code if lead.rejection_reason else None,
        "rejection_comment": lead.rejection_comment,
    }


def _filtered(leads: QuerySet[Lead], status: str | None, program_id: int | None) -> QuerySet[Lead]:
    if status == "open":
        leads = leads.filter(status__in=["new", "working", "accepted"])
    elif status:
        leads = leads.filter(status=status)
    if program_id:
        leads = leads.filter(program_id=program_id)
    return leads.select_related("rep", "rejection_reason")


@endpoint(
    router.get,
    "/leads",
    Perm.WORK_LEADS,
    LeadPage,
    summary="The leads you work (a leader: those of your teams' reps)",
)
def list_leads(
    request: HttpRequest,
    status: LeadStatusName | Literal["open"] | None = query(None),
    program_id: int | None = query(None, ge=1, le=2**63 - 1),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    leads = _filtered(workable_leads(caller(request)), status, program_id)
    return page(leads, cursor, limit, lead_out)


@endpoint(
    router.get,
    "/leads/unmatched",
    Perm.IMPORT_DATA,
    LeadPage,
    summary="Imported leads whose campaign matched no program",
)
def unmatched_leads(
    request: HttpRequest, cursor: str | None = cursor_param(), limit: int = limit_param()
) -> Any:
    m = caller(request)
    leads = Lead.objects.for_org(m.org).filter(program__isnull=True)
    return page(_filtered(leads, None, None), cursor, limit, lead_out)


class AssignIn(Input):
    program_id: int = Field(ge=1)
    lead_ids: list[int] = Field(min_length=1, max_length=1000)


class AssignOut(Schema):
    assigned: int = Field(description="Unmatched leads now in the program.")


@endpoint(
    router.post,
    "/leads/assign",
    Perm.IMPORT_DATA,
    AssignOut,
    summary="Give unmatched leads to a program",
)
def assign(request: HttpRequest, payload: AssignIn) -> Any:
    m = caller(request)
    program = access_program(m, payload.program_id)
    moved = results.assign_to_program(
        org=m.org, acting_user=m.user, lead_ids=payload.lead_ids, program=program
    )
    return {"assigned": moved}


@endpoint(router.get, "/leads/{lead_id}", Perm.WORK_LEADS, LeadOut, summary="One lead")
def get_lead(request: HttpRequest, lead_id: int = Id()) -> Any:
    return lead_out(access_lead(caller(request), lead_id))


class TouchIn(Input):
    kind: Literal["call", "email", "meeting"]
    note: str = Field("", max_length=500)


@endpoint(
    router.post,
    "/leads/{lead_id}/touches",
    Perm.WORK_LEADS,
    LeadOut,
    summary="Log a call, e-mail or meeting (the first one stops the SLA clock)",
)
def touch(request: HttpRequest, payload: TouchIn, lead_id: int = Id()) -> Any:
    m = caller(request)
    lead = access_lead(m, lead_id)
    form = bound(TouchForm, payload.model_dump())
    results.log_touch(
        lead=lead, user=m.user, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"]
    )
    return lead_out(access_lead(m, lead_id))


@endpoint(router.post, "/leads/{lead_id}/accept", Perm.WORK_LEADS, LeadOut, summary="Accept a lead")
def accept(request: HttpRequest, lead_id: int = Id()) -> Any:
    m = caller(request)
    results.accept_lead(lead=access_lead(m, lead_id), user=m.user)
    return lead_out(access_lead(m, lead_id))


class RejectIn(Input):
    reason: str = Field(
        min_length=1,
        max_length=40,
        examples=["not_a_fit"],
        description="A reason's code from /rejection-reasons.",
    )
    comment: str = Field("", max_length=2000, description="Required with the reason `other`.")


@endpoint(
    router.post,
    "/leads/{lead_id}/reject",
    Perm.WORK_LEADS,
    LeadOut,
    summary="Reject a lead with a reason",
)
def reject(request: HttpRequest, payload: RejectIn, lead_id: int = Id()) -> Any:
    m = caller(request)
    lead = access_lead(m, lead_id)
    results.reject_with_reason(
        org=m.org, leads=[lead], user=m.user, reason_code=payload.reason, comment=payload.comment
    )
    return lead_out(access_lead(m, lead_id))


class ReassignIn(Input):
    member_id: int = Field(ge=1, description="A rep of a team you lead.")


@endpoint(
    router.post,
    "/leads/{lead_id}/reassign",
    Perm.LEAD_TEAMS,
    LeadOut,
    summary="Move a lead to another of your reps (sales leaders)",
)
def reassign(request: HttpRequest, payload: ReassignIn, lead_id: int = Id()) -> Any:
    m = caller(request)
    lead = access_lead(m, lead_id)
    to = access_membership(m, payload.member_id)
    results.reassign(lead=lead, leader=m, to=to)
    return lead_out(Lead.objects.select_related("rep", "rejection_reason").get(pk=lead.pk))


# --- opportunities ------------------------------------------------------------------------


class OpportunityOut(Schema):
    id: int
    external_id: str
    name: str
    program_id: int | None
    campaign: str
    lead_id: int | None
    owner: PersonOut | None
    stage: str
    amount: str | None
    currency: str
    quantity: str | None
    created_at: dt.datetime
    close_date: dt.date | None
    outcome: Literal["open", "won", "lost"]


class OpportunityPage(Schema):
    items: list[OpportunityOut]
    next_cursor: str | None = next_cursor_field()


def opportunity_out(o: Opportunity) -> dict[str, Any]:
    return {
        "id": o.pk,
        "external_id": o.external_id,
        "name": o.name,
        "program_id": o.program_id,
        "campaign": o.campaign,
        "lead_id": o.lead_id,
        "owner": person(o.owner),
        "stage": o.stage,
        "amount": None if o.amount is None else str(o.amount),
        "currency": o.currency,
        "quantity": None if o.quantity is None else str(o.quantity),
        "created_at": o.created_at,
        "close_date": o.close_date,
        "outcome": o.outcome,
    }


@endpoint(
    figures.get,
    "/opportunities",
    Perm.VIEW_INSIGHTS,
    OpportunityPage,
    summary="Opportunities from the CRM (a leader: those of their reps)",
)
def list_opportunities(
    request: HttpRequest,
    program_id: int | None = query(None, ge=1, le=2**63 - 1),
    outcome: Literal["open", "won", "lost"] | None = query(None),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    rows = visible_opportunities(caller(request)).select_related("owner")
    if program_id:
        rows = rows.filter(program_id=program_id)
    if outcome:
        rows = rows.filter(outcome=outcome)
    return page(rows, cursor, limit, opportunity_out)


@endpoint(
    figures.get,
    "/programs/{program_id}/leads",
    Perm.VIEW_INSIGHTS,
    LeadPage,
    summary="A program's leads (a leader: those of their reps)",
)
def program_lead_list(
    request: HttpRequest,
    program_id: int = Id(),
    status: LeadStatusName | Literal["open"] | None = query(None),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    return page(_filtered(program_leads(m, program), status, None), cursor, limit, lead_out)


# --- the funnel and the scorecard ---------------------------------------------------------

StageShares = dict[str, float | None]


class FunnelRow(Schema):
    team_id: int | None = Field(description="None for the program total.")
    team: str
    depth: int
    reps: int
    shares: StageShares = Field(description="Stage → percent of reps (null: no data).")
    why: dict[str, str] = Field(description="Stage → why it has no number.")
    score: int | None = Field(description="The Lockstep score, 0–100.")


class FunnelOut(Schema):
    program_id: int
    stages: list[str]
    anonymous: bool
    total: FunnelRow
    rows: list[FunnelRow]
    weights: dict[str, int]


def funnel_row(row: Any) -> dict[str, Any]:
    return {
        "team_id": row.team.pk if row.team else None,
        "team": row.label,
        "depth": row.depth,
        "reps": row.reps,
        "shares": dict(row.shares),
        "why": dict(getattr(row, "why", {})),
        "score": row.score,
    }


def _funnel(m: Any, program: Program) -> dict[str, Any]:
    data = funnel.program_funnel(program, only_team_ids=team_scope(m))
    return {
        "program_id": program.pk,
        "stages": list(data["stages"]),
        "anonymous": bool(data.get("anonymous", program.pulse_anonymous)),
        "total": funnel_row(data["total"]),
        "rows": [funnel_row(r) for r in data["rows"]],
        "weights": dict(funnel.SCORE_WEIGHTS),
    }


@endpoint(
    figures.get,
    "/programs/{program_id}/funnel",
    Perm.VIEW_INSIGHTS,
    FunnelOut,
    summary="The sell-in funnel by team and the Lockstep score",
)
def get_funnel(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    return _funnel(m, access_program(m, program_id))


class RepStages(Schema):
    name: str
    team: str
    reached: dict[str, bool | None] = Field(description="null: the stage does not apply.")
    missing: list[str]
    pulse: float | None = Field(description="Never for an anonymous pulse.")


class TeamRepsOut(Schema):
    program_id: int
    team_id: int
    reps: list[RepStages]


@endpoint(
    figures.get,
    "/programs/{program_id}/funnel/teams/{team_id}",
    Perm.VIEW_INSIGHTS,
    TeamRepsOut,
    summary="Each rep of a team (and its sub-teams) and what they miss",
)
def team_drilldown(request: HttpRequest, program_id: int = Id(), team_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    team = access_team(m, team_id)
    allowed = audience_team_ids(program)
    if team.pk not in allowed:
        raise Http404("No such team in this funnel")
    reps = funnel.team_reps(program, with_descendants(m.org, [team.pk]) & allowed)
    return {
        "program_id": program.pk,
        "team_id": team.pk,
        "reps": [
            {
                "name": r.get("name", ""),
                "team": r.get("team_name", ""),
                "reached": r["reached"],
                "missing": r["missing"],
                "pulse": None if program.pulse_anonymous else r.get("pulse"),
            }
            for r in reps
        ],
    }


class TargetProgressOut(Schema):
    target_id: int
    team_id: int
    metric: str
    period: str
    value: str
    actual: str
    expected: str | None
    judgement: str = Field(description="on_track, behind, or why it is not judged yet.")


class ResultsOut(Schema):
    program_id: int
    lead_count: int
    summary: dict[str, Any] = Field(description="Speed-to-lead: counts, shares, median.")
    teams: list[dict[str, Any]]
    reps: list[dict[str, Any]]
    rejection_reasons: list[dict[str, Any]]
    targets: list[TargetProgressOut]


def _progress(p: Any) -> dict[str, Any]:
    judgement = getattr(p, "judgement", None) or ("on_track" if p.on_track else "behind")
    return {
        "target_id": p.target.pk,
        "team_id": p.target.team_id,
        "metric": p.target.metric,
        "period": p.target.period,
        "value": str(p.target.value),
        "actual": str(p.actual),
        "expected": None if p.expected is None else str(p.expected),
        "judgement": judgement,
    }


@endpoint(
    figures.get,
    "/programs/{program_id}/results",
    Perm.VIEW_INSIGHTS,
    ResultsOut,
    summary="Speed-to-lead, rejection reasons, targets against actuals",
)
def get_results(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    data = program_results(m, program)
    return {
        "program_id": program.pk,
        "lead_count": data["lead_count"],
        "summary": data["summary"],
        "teams": [
            {**r["summary"], "team_id": r["team"].pk, "team": r["team"].name}
            for r in data["team_rows"]
        ],
        "reps": list(data["rep_rows"]),
        "rejection_reasons": list(data["reasons"]),
        "targets": [_progress(p) for p in data["targets"]],
    }


class ScorecardOut(Schema):
    program_id: int
    name: str
    status: str
    readiness: int = Field(description="Today's readiness score, 0–100.")
    launch_score: int | None = Field(description="The readiness score when it went live.")
    lockstep_score: int | None
    stages: StageShares
    speed_to_lead: dict[str, Any]
    questions: dict[str, Any] = Field(description="Answered, open, median hours to answer.")
    pulse: dict[str, float | None] | None = Field(description="Latest round's averages.")
    targets_on_track: int
    targets_judged: int


@endpoint(
    figures.get,
    "/programs/{program_id}/scorecard",
    Perm.VIEW_INSIGHTS,
    ScorecardOut,
    summary="The program's figures in one document (for BI tools)",
)
def scorecard(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    f = _funnel(m, program)
    data = program_results(m, program)
    rounds = list(program.pulse_rounds.all())
    pulse = pulse_summary(program, rounds[-1])["overall"] if rounds else None
    times = answer_times(program)
    progress = [_progress(p) for p in data["targets"]]
    judged = [p for p in progress if p["judgement"] in ("on_track", "behind")]
    return {
        "program_id": program.pk,
        "name": program.name,
        "status": program.status,
        "readiness": program_readiness(program).score,
        "launch_score": program.launch_score,
        "lockstep_score": f["total"]["score"],
        "stages": f["total"]["shares"],
        "speed_to_lead": data["summary"],
        "questions": {
            "answered": times["answered"],
            "open": times["open"],
            "median_hours": times["median_hours"],
        },
        "pulse": pulse,
        "targets_on_track": sum(p["judgement"] == "on_track" for p in judged),
        "targets_judged": len(judged),
    }
