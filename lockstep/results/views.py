"""Leads pages: my leads with SLA clocks, team leads for leaders, unmatched leads for
marketing, and a program's results (speed-to-lead, rejections, targets vs actuals)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lockstep.core.errors import DomainError
from lockstep.core.params import posted_id, posted_ids, posted_text
from lockstep.core.permissions import Perm, can
from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import my_reps
from lockstep.programs.access import access_program
from lockstep.programs.models import Program
from lockstep.results import metrics, selectors, services
from lockstep.results.access import access_lead, access_rejection_reason, workable_leads
from lockstep.results.business_hours import RepCalendars
from lockstep.results.forms import ProgramSlaForm, RejectionReasonForm, TouchForm
from lockstep.results.models import Lead, LeadStatus, RejectionReason, TouchKind
from lockstep.results.selectors import clock


@org_view(Perm.WORK_LEADS)
@require_GET
def my_leads(request: OrgRequest) -> HttpResponse:
    services.ensure_rejection_reasons(request.org)
    leads = workable_leads(request.membership).select_related("program", "rep", "rejection_reason")
    status = request.GET.get("status", "open")
    if status == "open":
        leads = leads.filter(status__in=[LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.ACCEPTED])
    elif status in LeadStatus.values:
        leads = leads.filter(status=status)
    page = Paginator(leads.order_by("first_touch_at", "sla_due_at", "-created_at"), 50).get_page(
        request.GET.get("page")
    )
    calendars, now = RepCalendars(request.org), timezone.now()
    leading = can(request.membership, Perm.LEAD_TEAMS)
    context = {
        "page": page,
        "rows": [
            {"lead": lead, "clock": clock(lead, calendars.for_rep(lead.rep_id), now)}
            for lead in page.object_list
        ],
        "status": status,
        "statuses": LeadStatus.choices,
        "touch_kinds": TouchKind.choices,
        "reasons": RejectionReason.objects.for_org(request.org).filter(active=True),
        "leading": leading,
        "reps": my_reps(request.membership).select_related("user", "team") if leading else [],
        "summary": metrics.sla_summary(workable_leads(request.membership)),
        "day_minutes": request.org.business_minutes_per_day,
    }
    return render(request, "results/my_leads.html", context)


@org_view(Perm.WORK_LEADS)
@require_POST
def touch(request: OrgRequest, lead_id: int) -> HttpResponse:
    lead = access_lead(request.membership, lead_id)
    form = TouchForm(request.POST)
    if not form.is_valid():
        raise DomainError("Pick call, e-mail or meeting.")
    kind = form.cleaned_data["kind"]
    services.log_touch(lead=lead, user=request.user, kind=kind, note=form.cleaned_data["note"])
    messages.success(request, f"{TouchKind(kind).label} logged for {lead}.")
    return redirect("results:my_leads", org_slug=request.org.slug)


@org_view(Perm.WORK_LEADS)
@require_POST
def accept(request: OrgRequest, lead_id: int) -> HttpResponse:
    lead = access_lead(request.membership, lead_id)
    services.accept_lead(lead=lead, user=request.user)
    messages.success(request, f"{lead} accepted.")
    return redirect("results:my_leads", org_slug=request.org.slug)


@org_view(Perm.WORK_LEADS)
@require_POST
def reject(request: OrgRequest) -> HttpResponse:
    """Reject one lead or many at once; a reason from the organization's list is required."""
    ids = posted_ids(request.POST.getlist("lead"))
    reason = (
        RejectionReason.objects.for_org(request.org)
        .filter(code=posted_text(request.POST.get("reason"), 40), active=True)
        .first()
    )
    comment = posted_text(request.POST.get("comment"), 2000)
    leads = list(workable_leads(request.membership).filter(pk__in=ids))
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
        messages.success(request, f"{counted(count, 'lead', 'leads')} rejected: {reason.label}.")
    return redirect("results:my_leads", org_slug=request.org.slug)


@org_view(Perm.LEAD_TEAMS)
@require_POST
def reassign(request: OrgRequest, lead_id: int) -> HttpResponse:
    lead = access_lead(request.membership, lead_id)
    to = Membership.objects.for_org(request.org).filter(pk=posted_id(request.POST.get("to")))
    target = to.select_related("user").first()
    if target is None:
        messages.error(request, "Pick the rep to move the lead to.")
    else:
        services.reassign(lead=lead, leader=request.membership, to=target)
        messages.success(request, f"{lead} moved to {target.user}.")
    return redirect("results:my_leads", org_slug=request.org.slug)


@org_view(Perm.IMPORT_DATA)
@require_http_methods(["GET", "POST"])
def unmatched(request: OrgRequest) -> HttpResponse:
    """Imported leads whose campaign matched no program, for marketing to assign."""
    leads = Lead.objects.for_org(request.org).filter(program__isnull=True).select_related("rep")
    programs = Program.objects.for_org(request.org).filter(archived_at__isnull=True)
    if request.method == "POST":
        program = programs.filter(pk=posted_id(request.POST.get("program"))).first()
        ids = posted_ids(request.POST.getlist("lead"))
        if program is None or not ids:
            messages.error(request, "Tick leads and pick the program they belong to.")
        else:
            moved = services.assign_to_program(
                org=request.org, acting_user=request.user, lead_ids=ids, program=program
            )
            messages.success(
                request, f"{counted(moved, 'lead', 'leads')} assigned to {program.name}."
            )
        return redirect("results:unmatched", org_slug=request.org.slug)
    campaigns = leads.exclude(campaign="").values_list("campaign", flat=True).distinct()[:50]
    page = Paginator(leads.order_by("-created_at"), 50).get_page(request.GET.get("page"))
    context = {"page": page, "programs": programs, "campaigns": campaigns}
    return render(request, "results/unmatched.html", context)


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def program_results(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    data = selectors.program_results(request.membership, program)
    context = {
        "program": program,
        "sla_form": ProgramSlaForm(initial={"sla_hours": program.sla_hours}),
        "lead_count": data["lead_count"],
        "figures_html": selectors.results_html(request.membership, program, data),
    }
    return render(request, "results/program_results.html", context)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def program_sla(request: OrgRequest, program_id: int) -> HttpResponse:
    """Change a program's first-touch SLA; the deadlines of its open leads follow."""
    program = access_program(request.membership, program_id)
    form = ProgramSlaForm(request.POST)
    if not form.is_valid():
        raise DomainError("The SLA is a whole number of business hours, from 1 to 200.")
    hours = form.cleaned_data["sla_hours"]
    moved = services.set_program_sla(program=program, acting_user=request.user, hours=hours)
    messages.success(
        request,
        f"First-touch SLA set to {counted(hours, 'business hour', 'business hours')}; "
        f"{counted(moved, 'open lead', 'open leads')} re-timed.",
    )
    return redirect("results:program", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def rejection_reasons(request: OrgRequest) -> HttpResponse:
    """The organization's editable list of reasons for rejecting a lead."""
    services.ensure_rejection_reasons(request.org)
    form = RejectionReasonForm()
    if request.method == "POST":
        if "toggle" in request.POST:
            reason = access_rejection_reason(request.membership, posted_id(request.POST["toggle"]))
            services.toggle_rejection_reason(reason=reason, acting_user=request.user)
            state = "restored" if reason.active else "retired"
            messages.success(request, f"“{reason.label}” {state}.")
            return redirect("results:reasons", org_slug=request.org.slug)
        form = RejectionReasonForm(request.POST)
        if form.is_valid():
            label = form.cleaned_data["label"]
            services.add_rejection_reason(org=request.org, acting_user=request.user, label=label)
            messages.success(request, f"Reason “{label}” added.")
            return redirect("results:reasons", org_slug=request.org.slug)
    reasons = RejectionReason.objects.for_org(request.org)
    context = {"reasons": reasons, "form": form}
    return render(request, "results/reasons.html", context, status=400 if form.errors else 200)
