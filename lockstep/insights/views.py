"""The organization's home for each role, and the program funnel with its drill-down."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lockstep.briefs.selectors import rep_programs
from lockstep.core.errors import is_htmx
from lockstep.core.models import AuditLog
from lockstep.core.permissions import SELLING_ROLES, Perm, Role, can
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.insights import funnel
from lockstep.orgs.access import access_team
from lockstep.orgs.models import Channel, Invitation, Membership, Team
from lockstep.orgs.selectors import (
    leader_team_ids,
    my_reps,
    team_rows,
    team_scope,
)
from lockstep.programs.access import access_program
from lockstep.programs.models import Program, ProgramStatus
from lockstep.programs.selectors import audience_team_ids


@org_view(Perm.VIEW_ORG)
@require_GET
def home(request: OrgRequest) -> HttpResponse:
    """Reps: their programs and to-dos. Leaders: their teams. Others: the organization."""
    org, membership = request.org, request.membership
    if can(membership, Perm.SELL):
        rep = {"team": membership.team, "live_programs": rep_programs(membership)}
        return render(request, "briefs/home.html", rep)
    if can(membership, Perm.LEAD_TEAMS):
        ids = leader_team_ids(membership)
        leader = {"rows": team_rows(org, only=ids), "rep_total": my_reps(membership).count()}
        return render(request, "insights/home_leader.html", leader)
    members = Membership.objects.for_org(org)
    by_role = Counter(dict(members.values_list("role").annotate(n=Count("id"))))
    channels = (
        members.filter(role__in=list(SELLING_ROLES), team__isnull=False)
        .values_list("team__channel")
        .annotate(n=Count("id"))
    )
    invitations = Invitation.objects.for_org(org).filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    )
    context: dict[str, Any] = {
        "by_role": [(label, by_role.get(value, 0)) for value, label in Role.choices],
        "by_channel": [(Channel(c).label, n) for c, n in channels],
        "team_count": Team.objects.for_org(org).count(),
        "programs": Program.objects.for_org(org).exclude(status=ProgramStatus.CLOSED)[:10],
        "pending_invitations": [i for i in invitations if i.is_pending],
        "recent_audit": AuditLog.objects.for_org(org).select_related("actor")[:8]
        if can(membership, Perm.VIEW_AUDIT)
        else [],
    }
    return render(request, "insights/home.html", context)


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def program_funnel(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    ctx = funnel.load(program)
    data = funnel.program_funnel(program, only_team_ids=team_scope(request.membership), ctx=ctx)
    context = {"program": program, **data, "weights": funnel.SCORE_WEIGHTS}
    return render(request, "insights/funnel.html", context)


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def team_drilldown(request: OrgRequest, program_id: int, team_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    team = access_team(request.membership, team_id)
    allowed = audience_team_ids(program)
    if team.pk not in allowed:
        raise Http404("No such team in this funnel")
    ctx = funnel.load(program)
    reps = funnel.team_reps(program, ctx.tree.descendants([team.pk]) & allowed, ctx=ctx)
    context = {
        "program": program,
        "team": team,
        "reps": reps,
        "stages": funnel.STAGES,
        "labels": funnel.STAGE_LABELS,
        "anonymous": ctx.facts.anonymous,
    }
    if is_htmx(request):
        return render(request, "insights/team_reps.html#drilldown", context)
    return render(request, "insights/team_reps.html", context)
