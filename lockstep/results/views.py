"""Leads pages: my leads with SLA clocks, team leads for leaders, unmatched leads for
marketing, and a program's results (speed-to-lead, rejections, targets vs actuals)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from lockstep.core.permissions import Perm, can
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.orgs.models import Membership, Role, Team
from lockstep.orgs.services import leader_team_ids
from lockstep.programs.models import Program
from lockstep.programs.services import selling_team_ids
from lockstep.programs.views import access_program
from lockstep.results import metrics, services
from lockstep.results.business_hours import Calendar
from lockstep.results.models import Lead, LeadStatus, RejectionReason, TouchKind


def _int(value: str | None) -> int:
    """A posted id, or 0 (which matches nothing) when it is not a number."""
    return int(value) if value and value.isdigit() else 0


def my_lead_queryset(request: OrgRequest) -> Any:
    leads = Lead.objects.for_org(request.org).select_related("program", "rep", "rejection_reason")
    if request.membership.role == Role.SALES_LEADER:
        reps = Membership.objects.filter(
            org=request.org, team_id__in=leader_team_ids(request.membership)
        ).values_list("user_id", flat=True)
        return leads.filter(rep_id__in=list(reps))
    return leads.filter(rep=request.user)


def clock(lead: Lead, calendar: Calendar, now: dt.datetime) -> dict[str, Any]:
    """The SLA clock in business time: time left, or how late."""
    if lead.first_touch_at is not None or lead.sla_due_at is None:
        return {"state": "done"}
    if now <= lead.sla_due_at:
        left = calendar.between(now, lead.sla_due_at)
        return {"state": "running", "minutes": int(left.total_seconds() // 60)}
    late = calendar.between(lead.sla_due_at, now)
    return {"state": "late", "minutes": int(late.total_seconds() // 60)}


@org_view()
@require_GET
def my_leads(request: OrgRequest) -> HttpResponse:
    if not (can(request.membership, Perm.SELL) or can(request.membership, Perm.LEAD_TEAMS)):
        raise Http404("No such page")
    services.ensure_rejection_reasons(request.org)
    leads = my_lead_queryset(request)
    status = request.GET.get("status", "open")
    if status == "open":
        leads = leads.filter(status__in=[LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.ACCEPTED])
    elif status in LeadStatus.values:
        leads = leads.filter(status=status)
    page = Paginator(leads.order_by("first_touch_at", "sla_due_at", "-created_at"), 50).get_page(
        request.GET.get("page")
    )
    calendar, now = Calendar.for_org(request.org), timezone.now()
    context = {
        "page": page,
        "rows": [{"lead": lead, "clock": clock(lead, calendar, now)} for lead in page.object_list],
        "status": status,
        "statuses": LeadStatus.choices,
        "touch_kinds": TouchKind.choices,
        "reasons": RejectionReason.objects.for_org(request.org).filter(active=True),
        "reps": Membership.objects.filter(
            org=request.org, team_id__in=leader_team_ids(request.membership)
        ).select_related("user", "team")
        if request.membership.role == Role.SALES_LEADER
        else [],
        "summary": metrics.sla_summary(my_lead_queryset(request)),
    }
    return render(request, "results/my_leads.html", context)


def access_lead(request: OrgRequest, lead_id: int) -> Lead:
    lead = Lead.objects.for_org(request.org).select_related("program").filter(pk=lead_id).first()
    if lead is None or not services.can_work(request.membership, lead):
        raise Http404("No such lead")
    return lead


@org_view()
@require_POST
def touch(request: OrgRequest, lead_id: int) -> HttpResponse:
    lead = access_lead(request, lead_id)
    kind = request.POST.get("kind", "")
    if kind not in TouchKind.values:
        messages.error(request, "Pick call, e-mail or meeting.")
    else:
        services.log_touch(
            lead=lead, user=request.user, kind=kind, note=request.POST.get("note", "")[:500]
        )
        messages.success(request, f"{TouchKind(kind).label} logged for {lead}.")
    return redirect("results:my_leads", org_slug=request.org.slug)


@org_view()
@require_POST
def accept(request: OrgRequest, lead_id: int) -> HttpResponse:
    lead = access_lead(request, lead_id)
    services.accept_lead(lead=lead, user=request.user)
    messages.success(request, f"{lead} accepted.")
    return redirect("results:my_leads", org_slug=request.org.slug)


@org_view()
@require_POST
def reject(request: OrgRequest) -> HttpResponse:
    """Reject one lead or many at once; a reason from the organization's list is required."""
    ids = [int(i) for i in request.POST.getlist("lead") if i.isdigit()]
    reason = (
        RejectionReason.objects.for_org(request.org)
        .filter(code=request.POST.get("reason", ""), active=True)
        .first()
    )
    comment = request.POST.get("comment", "").strip()[:2000]
    leads = [lead for lead in my_lead_queryset(request).filter(pk__in=ids)]
    if not leads:
        messages.error(request, "Tick the leads to reject first.")
    elif reason is None:
        messages.error(request, "Rejecting a lead needs a reason: pick one from the list.")
    elif reason.code == "other" and not comment:
        messages.error(request, "With the reason “Other”, say why in the comment.")
    else:
        count = services.reject_leads(
            leads=leads, user=request.user, reason=reason, comment=comment
        )
        messages.success(request, f"{count} lead(s) rejected: {reason.label}.")
    return redirect("results:my_leads", org_slug=request.org.slug)


@org_view(Perm.LEAD_TEAMS)
@require_POST
def reassign(request: OrgRequest, lead_id: int) -> HttpResponse:
    lead = access_lead(request, lead_id)
    to = Membership.objects.filter(org=request.org, pk=_int(request.POST.get("to"))).first()
    if to is None:
        messages.error(request, "Pick the rep to move the lead to.")
    else:
        try:
            services.reassign(lead=lead, leader=request.membership, to=to)
            messages.success(request, f"{lead} moved to {to.user}.")
        except services.LeadError as exc:
            messages.error(request, str(exc))
    return redirect("results:my_leads", org_slug=request.org.slug)


@org_view(Perm.MANAGE_PROGRAMS)
def unmatched(request: OrgRequest) -> HttpResponse:
    """Imported leads whose campaign matched no program, for marketing to assign."""
    leads = Lead.objects.for_org(request.org).filter(program__isnull=True).select_related("rep")
    programs = Program.objects.for_org(request.org).filter(archived_at__isnull=True)
    if request.method == "POST":
        program = programs.filter(pk=_int(request.POST.get("program"))).first()
        ids = [int(i) for i in request.POST.getlist("lead") if i.isdigit()]
        if program is None or not ids:
            messages.error(request, "Tick leads and pick the program they belong to.")
        else:
            moved = leads.filter(pk__in=ids).update(program=program)
            messages.success(request, f"{moved} lead(s) assigned to {program.name}.")
        return redirect("results:unmatched", org_slug=request.org.slug)
    campaigns = leads.exclude(campaign="").values_list("campaign", flat=True).distinct()[:50]
    page = Paginator(leads.order_by("-created_at"), 50).get_page(request.GET.get("page"))
    context = {"page": page, "programs": programs, "campaigns": campaigns}
    return render(request, "results/unmatched.html", context)


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def program_results(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    leads = Lead.objects.filter(program=program)
    if request.membership.role == Role.SALES_LEADER:
        reps = Membership.objects.filter(
            org=request.org, team_id__in=leader_team_ids(request.membership)
        ).values_list("user_id", flat=True)
        leads = leads.filter(Q(rep_id__in=list(reps)))
    team_rows = []
    only = (
        leader_team_ids(request.membership)
        if request.membership.role == Role.SALES_LEADER
        else None
    )
    for team in Team.objects.filter(pk__in=selling_team_ids(program)).order_by("name"):
        if only is not None and team.pk not in only:
            continue
        members = Membership.objects.filter(org=request.org, team=team).values_list(
            "user_id", flat=True
        )
        team_leads = leads.filter(rep_id__in=list(members))
        if team_leads.exists():
            team_rows.append({"team": team, "summary": metrics.sla_summary(team_leads)})
    context = {
        "program": program,
        "team_rows": team_rows,
        "rep_rows": metrics.per_rep(leads)[:200],
        "summary": metrics.sla_summary(leads),
        "reasons": metrics.rejection_reasons(leads),
        "targets": metrics.targets_vs_actuals(program),
        "lead_count": leads.count(),
    }
    return render(request, "results/program_results.html", context)


@org_view(Perm.MANAGE_ORG)
def rejection_reasons(request: OrgRequest) -> HttpResponse:
    """The organization's editable list of reasons for rejecting a lead."""
    services.ensure_rejection_reasons(request.org)
    reasons = RejectionReason.objects.for_org(request.org)
    if request.method == "POST":
        if toggle := request.POST.get("toggle", ""):
            reason = reasons.filter(pk=toggle if toggle.isdigit() else 0).first()
            if reason is None:
                raise Http404("No such reason")
            reason.active = not reason.active
            reason.save(update_fields=["active"])
            messages.success(
                request, f"“{reason.label}” {'restored' if reason.active else 'retired'}."
            )
        else:
            label = request.POST.get("label", "").strip()
            code = slugify(label)[:40].replace("-", "_")
            if not label or len(label) > 80 or not code:
                messages.error(request, "A reason needs a name of up to 80 characters.")
            elif reasons.filter(code=code).exists():
                messages.error(request, f"There is already a reason “{label}”.")
            else:
                RejectionReason.objects.create(
                    org=request.org, code=code, label=label, position=reasons.count()
                )
                messages.success(request, f"Reason “{label}” added.")
        return redirect("results:reasons", org_slug=request.org.slug)
    return render(request, "results/reasons.html", {"reasons": reasons})
