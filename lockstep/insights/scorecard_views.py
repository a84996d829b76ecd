"""The program scorecard and its sections, a program's opportunities and a lead's page.

The scorecard page renders the funnel and the targets, and each other section loads in its
own request (htmx, `hx-trigger="load"`); a section's URL opened directly is a normal page.
Every table takes `?export=<table>` for its CSV."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from lockstep.core.charts import BLUE, Series, bar_chart, target_line
from lockstep.core.csvexport import Table, export_response
from lockstep.core.errors import is_htmx
from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent, AuditLog
from lockstep.core.permissions import Perm, can
from lockstep.core.snapshots import figures
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.insights import scorecard
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import TeamTree, viewer_key
from lockstep.programs.access import access_program
from lockstep.programs.models import Program, TargetMetric
from lockstep.results import metrics
from lockstep.results.access import access_readable_lead
from lockstep.results.business_hours import Calendar
from lockstep.results.models import Outcome
from lockstep.results.selectors import clock, visible_opportunities

Builder = Callable[[Membership, Program, TeamTree], dict[str, Any]]

# key → (title, builder, URL name); the order of the page.
SECTIONS: dict[str, tuple[str, Builder, str]] = {
    "readiness": ("Readiness checklist", scorecard.readiness_section, "insights:sc_readiness"),
    "sla": ("Speed-to-lead", scorecard.sla_section, "insights:sc_sla"),
    "rejections": ("Why leads were rejected", scorecard.rejections_section,
                   "insights:sc_rejections"),
    "kit": ("Kit usage", scorecard.kit_section, "insights:sc_kit"),
    "pulse": ("Buy-in pulse over time", scorecard.pulse_section, "insights:sc_pulse"),
    "questions": ("Questions from reps", scorecard.questions_section, "insights:sc_questions"),
    "themes": ("Objection themes", scorecard.themes_section, "insights:sc_themes"),
}  # fmt: skip
BEFORE_FUNNEL = ["readiness"]


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def program_scorecard(request: OrgRequest, program_id: int) -> HttpResponseBase:
    tree = TeamTree.load(request.org)
    program = access_program(request.membership, program_id, tree=tree)
    data = scorecard.funnel_section(request.membership, program, tree)
    if (csv := export_response(request, data["tables"])) is not None:
        return csv
    slug = request.org.slug
    sections = [
        {"key": key, "title": title, "url": reverse(name, args=[slug, program.pk])}
        for key, (title, _, name) in SECTIONS.items()
    ]
    url = reverse("insights:scorecard", args=[slug, program.pk])
    context = {
        "program": program,
        **data,
        "section_url": url,
        "funnel_html": scorecard.funnel_html(request.membership, program, data, url),
        "sections_before": [s for s in sections if s["key"] in BEFORE_FUNNEL],
        "sections_after": [s for s in sections if s["key"] not in BEFORE_FUNNEL],
    }
    return render(request, "insights/scorecard.html", context)


def section(request: OrgRequest, program_id: int, key: str) -> HttpResponseBase:
    tree = TeamTree.load(request.org)
    program = access_program(request.membership, program_id, tree=tree)
    title, build, name = SECTIONS[key]
    data = figures(
        f"section:{key}",
        (program.pk, viewer_key(request.membership)),
        lambda: build(request.membership, program, tree),
    )
    if (csv := export_response(request, data["tables"])) is not None:
        return csv
    context = {
        "program": program,
        "key": key,
        "title": title,
        "section_url": reverse(name, args=[request.org.slug, program.pk]),
        **data,
    }
    template = f"insights/sections/{key}.html"
    if is_htmx(request):
        return render(request, template, context)
    return render(request, "insights/scorecard_section.html", {**context, "template": template})


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def sc_readiness(request: OrgRequest, program_id: int) -> HttpResponseBase:
    return section(request, program_id, "readiness")


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def sc_sla(request: OrgRequest, program_id: int) -> HttpResponseBase:
    return section(request, program_id, "sla")


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def sc_rejections(request: OrgRequest, program_id: int) -> HttpResponseBase:
    return section(request, program_id, "rejections")


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def sc_kit(request: OrgRequest, program_id: int) -> HttpResponseBase:
    return section(request, program_id, "kit")


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def sc_pulse(request: OrgRequest, program_id: int) -> HttpResponseBase:
    return section(request, program_id, "pulse")


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def sc_questions(request: OrgRequest, program_id: int) -> HttpResponseBase:
    return section(request, program_id, "questions")


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def sc_themes(request: OrgRequest, program_id: int) -> HttpResponseBase:
    return section(request, program_id, "themes")


# --- opportunities ------------------------------------------------------------------------------

OPPORTUNITY_METRICS = [
    TargetMetric.WON_REVENUE,
    TargetMetric.PIPELINE,
    TargetMetric.OPPORTUNITIES,
    TargetMetric.UNITS,
]
PAGE_SIZE = 50


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def opportunities(request: OrgRequest, program_id: int) -> HttpResponseBase:
    """A program's opportunities (of the reps the member sees), won revenue by team against
    the won-revenue targets, and the other opportunity targets."""
    membership, org = request.membership, request.org
    tree = TeamTree.load(org)
    program = access_program(membership, program_id, tree=tree)
    scope = scorecard.scope_of(membership, tree)
    opps = visible_opportunities(membership).filter(program=program)
    won, open_ = Q(outcome=Outcome.WON), Q(outcome=Outcome.OPEN)
    totals = opps.aggregate(
        n=Count("id"),
        won_n=Count("id", filter=won),
        lost_n=Count("id", filter=Q(outcome=Outcome.LOST)),
        won=Sum("amount", filter=won),
        pipeline=Sum("amount", filter=open_),
    )
    team = Subquery(
        Membership.objects.filter(org=org, user_id=OuterRef("owner_id")).values("team_id")[:1]
    )
    sums = {"n": Count("id"), "won": Sum("amount", filter=won)}
    sums["pipeline"] = Sum("amount", filter=open_)
    grouped = opps.annotate(team=team).values("team").annotate(**sums).order_by()
    by_team: dict[int | None, dict[str, Any]] = {row["team"]: dict(row) for row in grouped}
    today = timezone.localdate(timezone=org.tzinfo)
    progress = [
        p
        for p in metrics.targets_vs_actuals_many([program], today=today, tree=tree)[program.pk]
        if p.target.metric in OPPORTUNITY_METRICS
        and (scope is None or tree.descendants([p.target.team_id]) & scope)
    ]
    revenue_targets = {
        p.target.team_id: p for p in progress if p.target.metric == TargetMetric.WON_REVENUE
    }
    team_ids = sorted(
        {t for t in by_team if t is not None and (scope is None or t in scope)}
        | set(revenue_targets),
        key=lambda t: tree.names.get(t, ""),
    )
    chart = None
    if team_ids:
        names = [tree.names.get(t, "—") for t in team_ids]
        series = [
            Series(
                "Won revenue",
                [(by_team.get(t) or {}).get("won") or 0 for t in team_ids],
                color=BLUE,
            )
        ]
        if revenue_targets:
            series += [
                target_line(
                    "Won-revenue target, pro-rated so far",
                    [
                        revenue_targets[t].expected if t in revenue_targets else None
                        for t in team_ids
                    ],
                )
            ]
        chart = bar_chart(
            f"opportunities-{program.pk}",
            labels=names,
            series=series,
            label="Won revenue by team"
            + (" against the won-revenue targets pro-rated so far" if revenue_targets else "")
            + ": "
            + "; ".join(
                f"{n} {(by_team.get(t) or {}).get('won') or 0:,.0f}"
                for n, t in zip(names, team_ids, strict=True)
            ),
            caption="Won revenue by the owner's team"
            + (
                "; the black mark is the won-revenue target pro-rated to the period so far."
                if revenue_targets
                else "."
            ),  # fmt: skip
            fmt="money",
        )
    number = Paginator(range(totals["n"]), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(
        opps.select_related("owner", "lead").order_by("-created_at", "-id")[
            number.start_index() - 1 if totals["n"] else 0 : number.end_index()
        ]
    )
    tables = [
        Table(
            "opportunities",
            f"{program.name}-opportunities",
            [
                "External id",
                "Name",
                "Owner",
                "Stage",
                "Outcome",
                "Amount",
                "Currency",
                "Quantity",
                "Created",
                "Close date",
                "Lead",
            ],
            lazy_rows=lambda: [
                [
                    o.external_id,
                    o.name,
                    str(o.owner) if o.owner else "",
                    o.stage,
                    o.get_outcome_display(),
                    o.amount,
                    o.currency,
                    o.quantity,
                    o.created_at,
                    o.close_date,
                    str(o.lead) if o.lead else "",
                ]
                for o in opps.select_related("owner", "lead").order_by("-created_at", "-id")
            ],
        ),  # fmt: skip
        Table(
            "teams",
            f"{program.name}-opportunities-by-team",
            ["Team", "Opportunities", "Won revenue", "Open pipeline"],
            [
                [
                    tree.names.get(t, "—"),
                    (by_team.get(t) or {}).get("n", 0),
                    (by_team.get(t) or {}).get("won"),
                    (by_team.get(t) or {}).get("pipeline"),
                ]
                for t in team_ids
            ],
        ),  # fmt: skip
        scorecard.targets_table(program, progress),
    ]
    if (csv := export_response(request, tables)) is not None:
        return csv
    context = {
        "program": program,
        "totals": totals,
        "rows": rows,
        "page": number,
        "team_rows": [
            {
                "name": tree.names.get(t, "—"),
                **(by_team.get(t) or {"n": 0}),
                "target": revenue_targets.get(t),
            }
            for t in team_ids
        ],  # fmt: skip
        "targets": progress,
        "judgement_labels": scorecard.JUDGEMENT_LABELS,
        "chart": chart,
        "currencies": sorted({o.currency for o in rows if o.currency}),
    }
    return render(request, "insights/opportunities.html", context)


# --- a lead's page ------------------------------------------------------------------------------

SHOWN_VERBS = {
    Verb.LEAD_ACCEPTED: "Accepted",
    Verb.LEAD_REJECTED: "Rejected",
    Verb.LEAD_SLA_BREACHED: "First-touch SLA breached",
    Verb.LEAD_REASSIGNED: "Moved to another rep",
}


@org_view(Perm.VIEW_LEADS)
@require_GET
def lead_detail(request: OrgRequest, lead_id: int) -> HttpResponseBase:
    """A lead and its history: arrival, touches, acceptance or rejection, reassignments,
    opportunities. Visible to whoever may work it and to those who see every team."""
    org = request.org
    lead = access_readable_lead(request.membership, lead_id)
    history: list[dict[str, Any]] = [
        {"at": lead.created_at, "what": "Arrived from the CRM",
         "who": "", "detail": f"campaign {lead.campaign}" if lead.campaign else ""}
    ]  # fmt: skip
    touches = list(lead.touches.select_related("rep").order_by("at"))
    for touch in touches:
        history.append(
            {"at": touch.at, "what": touch.get_kind_display(), "who": str(touch.rep or ""),
             "detail": touch.note}
        )  # fmt: skip
    if lead.first_touch_at is not None and all(t.at != lead.first_touch_at for t in touches):
        history.append(
            {"at": lead.first_touch_at, "what": "First touch", "who": "",
             "detail": "as the CRM recorded it"}
        )  # fmt: skip
    events = ActivityEvent.objects.filter(
        org=org, object_type="lead", object_id=lead.pk, verb__in=list(SHOWN_VERBS)
    ).select_related("actor")
    rejected_here = False
    for event in events:
        detail = ""
        if event.verb == Verb.LEAD_REJECTED:
            rejected_here = True
            code = str(event.payload.get("reason", ""))
            reason = lead.rejection_reason
            detail = reason.label if reason is not None and reason.code == code else code
        history.append(
            {"at": event.occurred_at, "what": SHOWN_VERBS[Verb(event.verb)],
             "who": str(event.actor or ""), "detail": detail}
        )  # fmt: skip
    audits = (
        AuditLog.objects.for_org(org)
        .filter(object_type="lead", object_id=lead.pk)
        .select_related("actor")
    )
    for row in audits:
        if row.action == "lead.reassigned":
            before, after = (row.changes.get("rep") or [None, None])[:2]
            detail = f"from {before or 'nobody'} to {after}"
            history.append(
                {"at": row.created_at, "what": "Reassigned", "who": str(row.actor or ""),
                 "detail": detail}
            )  # fmt: skip
    opportunities = list(lead.opportunities.order_by("created_at"))
    for opp in opportunities:
        history.append(
            {"at": opp.created_at, "what": "Opportunity created", "who": str(opp.owner or ""),
             "detail": f"{opp} · {opp.get_outcome_display()}"}
        )  # fmt: skip
    if lead.rejection_reason is not None and not rejected_here:
        history.append(
            {"at": lead.imported_at, "what": "Rejected in the CRM", "who": "",
             "detail": lead.rejection_reason.label}
        )  # fmt: skip
    history.sort(key=lambda h: h["at"])
    table = Table(
        "history",
        f"lead-{lead.external_id}-history",
        ["When", "What", "Who", "Detail"],
        [[h["at"], h["what"], h["who"], h["detail"]] for h in history],
    )
    if (csv := export_response(request, [table])) is not None:
        return csv
    rep_team = (
        Membership.objects.for_org(org).filter(user_id=lead.rep_id).select_related("team").first()
        if lead.rep_id
        else None
    )
    context = {
        "lead": lead,
        "history": history,
        "clock": clock(
            lead, Calendar.for_team(rep_team.team if rep_team else None, org), timezone.now()
        ),
        "day_minutes": org.business_minutes_per_day,
        "rep_team": rep_team.team if rep_team else None,
        "opportunities": opportunities,
        "can_work": can(request.membership, Perm.WORK_LEADS),
    }
    return render(request, "insights/lead.html", context)
