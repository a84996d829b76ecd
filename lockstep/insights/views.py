"""The organization's home for each role (the overview, the leader view, the rep view), the
program funnel with its drill-down, and a leader's one-click reminders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from lockstep.briefs.selectors import rep_home
from lockstep.core.csvexport import Table, export_response
from lockstep.core.errors import is_htmx
from lockstep.core.models import AuditLog
from lockstep.core.params import posted_id
from lockstep.core.permissions import Perm, can
from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.insights import funnel
from lockstep.insights.leader import leader_home
from lockstep.insights.overview import org_overview
from lockstep.insights.reminders import remind_reps
from lockstep.insights.scorecard import funnel_html, funnel_section
from lockstep.orgs.access import access_team
from lockstep.orgs.models import Invitation, Membership
from lockstep.orgs.selectors import TeamTree
from lockstep.programs.access import access_program
from lockstep.programs.models import ProgramStatus
from lockstep.programs.selectors import audience_team_ids


@org_view(Perm.VIEW_ORG)
@require_GET
def home(request: OrgRequest) -> HttpResponseBase:
    """Reps: their programs, to-dos, leads and progress. Leaders: their teams and reps
    across programs and what waits for them. Others: the organization overview."""
    membership = request.membership
    if can(membership, Perm.SELL):
        context = rep_home(membership)
        template = "briefs/home.html"
    elif can(membership, Perm.LEAD_TEAMS):
        context = leader_home(membership)
        template = "insights/home_leader.html"
    else:
        context = org_overview(membership)
        context |= admin_bits(membership)
        template = "insights/home.html"
    if (csv := export_response(request, context["tables"])) is not None:
        return csv
    return render(request, template, context)


def admin_bits(membership: Membership) -> dict[str, Any]:
    """What an owner runs: pending invitations and the latest changes (two queries)."""
    if not can(membership, Perm.MANAGE_ORG):
        return {}
    org = membership.org
    invitations = Invitation.objects.for_org(org).filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    )
    return {
        "pending_invitations": [i for i in invitations if i.is_pending],
        "recent_audit": AuditLog.objects.for_org(org).select_related("actor")[:6]
        if can(membership, Perm.VIEW_AUDIT)
        else [],
    }


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def program_funnel(request: OrgRequest, program_id: int) -> HttpResponseBase:
    tree = TeamTree.load(request.org)
    program = access_program(request.membership, program_id, tree=tree)
    data = funnel_section(request.membership, program, tree)
    if (csv := export_response(request, data["tables"])) is not None:
        return csv
    url = reverse("insights:funnel", args=[request.org.slug, program.pk])
    html = funnel_html(request.membership, program, data, url)
    context = {"program": program, **data, "section_url": url, "funnel_html": html}
    return render(request, "insights/funnel.html", context)


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def team_drilldown(request: OrgRequest, program_id: int, team_id: int) -> HttpResponseBase:
    tree = TeamTree.load(request.org)
    program = access_program(request.membership, program_id, tree=tree)
    team = access_team(request.membership, team_id)
    allowed = audience_team_ids(program, tree)
    if team.pk not in allowed:
        raise Http404("No such team in this funnel")
    ctx = funnel.load_many([program], tree=tree)[program.pk]
    reps = funnel.team_reps(program, tree.descendants([team.pk]) & allowed, ctx=ctx)
    stages = funnel.STAGES
    table = Table(
        "reps",
        f"{program.name}-{team.name}-reps",
        ["Rep", "Team", *[funnel.STAGE_LABELS[s] for s in stages], "Missing"],
        [
            [r["name"], r["team_name"],
             *["n/a" if r["reached"][s] is None else ("yes" if r["reached"][s] else "no")
               for s in stages],
             ", ".join(r["missing"])]
            for r in reps
        ],
    )  # fmt: skip
    if (csv := export_response(request, [table])) is not None:
        return csv
    context = {
        "program": program,
        "team": team,
        "reps": reps,
        "stages": stages,
        "labels": funnel.STAGE_LABELS,
        "anonymous": ctx.facts.anonymous,
        "drilldown_url": reverse("insights:team", args=[request.org.slug, program.pk, team.pk]),
    }
    if is_htmx(request):
        return render(request, "insights/team_reps.html#drilldown", context)
    return render(request, "insights/team_reps.html", context)


@org_view(Perm.LEAD_TEAMS)
@require_POST
def remind(request: OrgRequest) -> HttpResponse:
    """One click: remind the reps of my teams who are behind on a live program (one rep, or
    every rep behind). Once a day per rep and program, whatever the clicks."""
    program = access_program(request.membership, posted_id(request.POST.get("program")))
    if program.status != ProgramStatus.LIVE:
        raise Http404("Reminders are for live programs")
    chosen = posted_id(request.POST.get("rep"))
    sent, skipped = remind_reps(
        leader=request.membership,
        program=program,
        membership_ids={chosen} if chosen else None,
    )
    if sent:
        messages.success(
            request, f"Reminder sent to {counted(sent, 'rep', 'reps')} about {program.name}."
        )
    elif skipped:
        messages.info(request, "Already reminded today: reps get one reminder a day at most.")
    else:
        messages.info(request, "Nobody to remind: they are all up to date.")
    return redirect(f"{reverse('insights:home', args=[request.org.slug])}#reps")
