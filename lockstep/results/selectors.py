"""Reading leads, opportunities and a program's results for a member, scoped to the teams
the member sees (a sales leader: their teams' reps)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.template.loader import render_to_string

from lockstep.core.snapshots import figures
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import TeamTree, reps_in_teams, team_scope, viewer_key
from lockstep.programs.models import Program
from lockstep.programs.selectors import selling_team_ids
from lockstep.results import metrics
from lockstep.results.business_hours import Calendar
from lockstep.results.models import Lead, Opportunity


def clock(lead: Lead, calendar: Calendar, now: dt.datetime) -> dict[str, Any]:
    """The SLA clock in business time: time left, or how late."""
    if lead.first_touch_at is not None or lead.sla_due_at is None:
        return {"state": "done"}
    if now <= lead.sla_due_at:
        left = calendar.between(now, lead.sla_due_at)
        return {"state": "running", "minutes": int(left.total_seconds() // 60)}
    late = calendar.between(lead.sla_due_at, now)
    return {"state": "late", "minutes": int(late.total_seconds() // 60)}


def program_leads(membership: Membership, program: Program) -> QuerySet[Lead]:
    """A program's leads whose rep sells in a team the member sees."""
    leads = Lead.objects.filter(program=program)
    only = team_scope(membership)
    if only is not None:
        leads = leads.filter(rep_id__in=reps_in_teams(membership.org, only).values("user_id"))
    return leads


def visible_opportunities(membership: Membership) -> QuerySet[Opportunity]:
    """Opportunities of the organization; a sales leader sees those owned by their reps."""
    opportunities = Opportunity.objects.for_org(membership.org)
    only = team_scope(membership)
    if only is not None:
        people = reps_in_teams(membership.org, only).values("user_id")
        opportunities = opportunities.filter(owner_id__in=people)
    return opportunities


@dataclass(frozen=True)
class TeamRef:
    """A team as a results table names it."""

    pk: int
    name: str


def program_results(membership: Membership, program: Program) -> dict[str, Any]:
    """Speed-to-lead overall, by team and by rep, rejection reasons and targets against
    actuals: what the program's results page shows, for the teams the member sees
    (computed once per change of the data: core.snapshots)."""
    return figures(
        "results", (program.pk, viewer_key(membership)), lambda: _results(membership, program)
    )


def results_html(membership: Membership, program: Program, data: dict[str, Any]) -> str:
    """The results page's figures as HTML (rendered once per change of the data, like the
    figures: nothing in it depends on the request)."""
    return figures(
        "results_html",
        (program.pk, viewer_key(membership)),
        lambda: render_to_string(
            "results/_figures.html", {**data, "org": membership.org, "program": program}
        ),
    )


def _results(membership: Membership, program: Program) -> dict[str, Any]:
    prefetch_related_objects([program], "audience")  # read by several numbers below
    leads = program_leads(membership, program)
    only = team_scope(membership)
    by_team = metrics.per_team(leads, membership.org)
    names = TeamTree.load(membership.org).names  # read once per request
    team_rows = [
        {"team": TeamRef(pk, names[pk]), "summary": by_team[pk]}
        for pk in sorted(selling_team_ids(program), key=lambda pk: names[pk])
        if pk in by_team and (only is None or pk in only)
    ]
    summary = metrics.sla_summary(leads)
    return {
        "team_rows": team_rows,
        "lead_count": summary["total"],
        "rep_rows": metrics.per_rep(leads)[:200],
        "summary": summary,
        "reasons": metrics.rejection_reasons(leads),
        "targets": [
            row
            for row in metrics.targets_vs_actuals(program)
            if only is None or row.target.team_id in only
        ],
    }
