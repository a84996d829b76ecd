"""The program funnel: teams as rows, stages as columns, drill-down to reps."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lockstep.core.permissions import Perm
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.insights import funnel
from lockstep.orgs.models import Role, Team
from lockstep.orgs.services import leader_team_ids, with_descendants
from lockstep.programs.services import audience_team_ids
from lockstep.programs.views import access_program


def visible_teams(request: OrgRequest) -> set[int] | None:
    """A sales leader sees only the teams they lead (and their sub-teams)."""
    if request.membership.role == Role.SALES_LEADER:
        return leader_team_ids(request.membership)
    return None


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def program_funnel(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    data = funnel.program_funnel(program, only_team_ids=visible_teams(request))
    context = {"program": program, **data, "weights": funnel.SCORE_WEIGHTS}
    return render(request, "insights/funnel.html", context)


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def team_drilldown(request: OrgRequest, program_id: int, team_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    allowed = audience_team_ids(program)
    only = visible_teams(request)
    if only is not None:
        allowed &= only
    team = Team.objects.filter(org=request.org, pk=team_id).first()
    if team is None or team.pk not in allowed:
        raise Http404("No such team in this funnel")
    reps = funnel.team_reps(program, with_descendants(request.org, [team.pk]) & allowed)
    context = {
        "program": program,
        "team": team,
        "reps": reps,
        "stages": funnel.STAGES,
        "labels": funnel.STAGE_LABELS,
        "applicable": funnel.applicable(program),
    }
    return render(request, "insights/team_reps.html", context)
