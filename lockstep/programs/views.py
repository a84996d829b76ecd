"""Program pages: list, calendar, the program page with its six sections, the rep brief."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lockstep.core.permissions import Perm, can
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.enablement.models import Certification, TrainingCompletion
from lockstep.enablement.services import check_status
from lockstep.feedback.forms import PulseForm
from lockstep.feedback.models import PulseResponse
from lockstep.feedback.services import current_round
from lockstep.orgs.models import Membership, Role, Team
from lockstep.orgs.services import leader_team_ids
from lockstep.programs import forms as f
from lockstep.programs import services
from lockstep.programs.models import (
    Asset,
    Champion,
    KnowledgeCheck,
    PreviewFeedback,
    Program,
    ProgramStatus,
    SellInActivity,
    Target,
    TrainingItem,
)
from lockstep.programs.readiness import QUESTION_TITLES, Question

SECTIONS = [q.value for q in Question]


def is_htmx(request: OrgRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def access_program(request: OrgRequest, program_id: int) -> Program:
    """The program if this member may see it (by role and audience), else 404."""
    program = (
        services.visible_programs(request.membership)
        .select_related("owner", "override_by", "org")
        .filter(pk=program_id)
        .first()
    )
    if program is None:
        raise Http404("No such program")
    return cast(Program, program)


def managed_program(request: OrgRequest, program_id: int) -> Program:
    program = access_program(request, program_id)
    if program.status == ProgramStatus.CLOSED:
        raise services.ProgramError("A closed program cannot be changed.")
    return program


# --- list, calendar, create, edit -----------------------------------------------------


@org_view(Perm.VIEW_PROGRAMS)
def program_list(request: OrgRequest) -> HttpResponse:
    form = f.ProgramFilterForm(request.GET or None, org=request.org)
    programs = services.visible_programs(request.membership).select_related("owner")
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status")
    if status == "archived":
        programs = programs.filter(archived_at__isnull=False)
    else:
        programs = programs.filter(archived_at__isnull=True)
        if status:
            programs = programs.filter(status=status)
    if data.get("kind"):
        programs = programs.filter(kind=data["kind"])
    if data.get("owner"):
        programs = programs.filter(owner=data["owner"].user)
    if data.get("team"):
        team: Team = data["team"]
        ancestors = services._ancestor_ids(request.org, {team.pk})
        programs = programs.filter(audience__in={team.pk} | ancestors).distinct()
    programs = programs.annotate(audience_count=Count("audience", distinct=True)).order_by(
        "launch_date", "name"
    )
    page = Paginator(programs, 25).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": request.GET.urlencode()}
    if is_htmx(request):
        return render(request, "programs/list.html#program-table", context)
    return render(request, "programs/list.html", context)


@org_view(Perm.VIEW_PROGRAMS)
def launch_calendar(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        first = dt.date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    programs = (
        services.visible_programs(request.membership)
        .filter(
            archived_at__isnull=True, launch_date__gte=weeks[0][0], launch_date__lte=weeks[-1][-1]
        )
        .prefetch_related("audience")
        .order_by("launch_date", "name")
    )
    by_day: dict[dt.date, list[Program]] = {}
    for program in programs:
        by_day.setdefault(program.launch_date, []).append(program)
    prev_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    context = {
        "first": first,
        "today": today,
        "weeks": [[(day, by_day.get(day, [])) for day in week] for week in weeks],
        "launches": programs,
        "prev": prev_month.strftime("%Y-%m"),
        "next": next_month.strftime("%Y-%m"),
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    }
    return render(request, "programs/calendar.html", context)


@org_view(Perm.MANAGE_PROGRAMS)
def program_create(request: OrgRequest) -> HttpResponse:
    owner = Membership.objects.filter(org=request.org, user=request.user).first()
    form = f.ProgramForm(request.POST or None, org=request.org, initial={"owner": owner})
    if request.method == "POST" and form.is_valid():
        program = services.create_program(
            org=request.org, acting_user=request.user, **form.values()
        )
        messages.success(request, f"“{program.name}” created. Now answer the six questions.")
        return redirect("programs:detail", org_slug=request.org.slug, program_id=program.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "programs/form.html", {"form": form}, status=status)


@org_view(Perm.MANAGE_PROGRAMS)
def program_edit(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    initial = {
        "name": program.name,
        "kind": program.kind,
        "summary": program.summary,
        "owner": Membership.objects.filter(org=request.org, user=program.owner).first(),
        "audience": list(program.audience.all()),
        "launch_date": program.launch_date,
        "end_date": program.end_date,
        "campaign_codes": ", ".join(program.campaign_codes),
        "reminder_days": program.reminder_days,
        "sla_hours": program.sla_hours,
        "training_due_days": program.training_due_days,
    }
    form = f.ProgramForm(request.POST or None, org=request.org, program=program, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_program(program=program, acting_user=request.user, **form.values())
        messages.success(request, "Program saved.")
        return redirect("programs:detail", org_slug=request.org.slug, program_id=program.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "programs/form.html", {"form": form, "program": program}, status=status)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def program_archive(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    archived = program.archived_at is None
    services.set_archived(program=program, acting_user=request.user, archived=archived)
    messages.success(request, f"“{program.name}” {'archived' if archived else 'restored'}.")
    return redirect("programs:detail", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def program_transition(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    form = f.TransitionForm(request.POST)
    url = reverse("programs:detail", args=[request.org.slug, program.pk])
    if not form.is_valid():
        messages.error(request, "That is not a program status.")
        return redirect(url)
    try:
        program = services.transition(
            program=program,
            acting_user=request.user,
            to=form.cleaned_data["to"],
            override_reason=form.cleaned_data["override_reason"],
            acting_role=request.membership.role,
        )
    except services.LaunchRefused as refused:
        context = detail_context(request, program, launch_refused=refused)
        return render(request, "programs/detail.html", context, status=400)
    except services.ProgramError as exc:
        messages.error(request, str(exc))
        return redirect(url)
    messages.success(request, f"“{program.name}” is now {program.get_status_display().lower()}.")
    return redirect(url)


# --- the program page -------------------------------------------------------------------


def detail_context(request: OrgRequest, program: Program, **extra: Any) -> dict[str, Any]:
    org, membership = request.org, request.membership
    audience_ids = services.audience_team_ids(program)
    selling_ids = services.selling_team_ids(program)
    readiness = services.program_readiness(program)
    can_manage = can(membership, Perm.MANAGE_PROGRAMS) and program.status != ProgramStatus.CLOSED
    states = {q.question.value: q for q in readiness.questions}
    context: dict[str, Any] = {
        "program": program,
        "readiness": readiness,
        "states": states,
        "titles": {q.value: t for q, t in QUESTION_TITLES.items()},
        "threshold": org.readiness_threshold,
        "can_manage": can_manage,
        "is_owner": membership.role == Role.OWNER,
        "audience": program.audience.select_related("parent"),
        "selling_count": len(selling_ids),
        "activities": program.activities.prefetch_related("teams").select_related("owner"),
        "endorsements": program.endorsements.select_related("leader"),
        "champions": program.champions.select_related("user", "team"),
        "feedback": program.feedback.select_related("author", "responded_by"),
        "assets": program.assets.select_related("owner"),
        "targets": program.targets.select_related("team", "responded_by"),
        "training": program.training.all(),
        "check": getattr(program, "knowledge_check", None),
        "today": timezone.localdate(),
        "can_endorse": services.can_endorse(membership, program)
        and not program.endorsements.filter(leader=request.user).exists(),
        "can_give_feedback": program.status == ProgramStatus.PREVIEW
        and services.in_audience(membership, program),
        "led_team_ids": leader_team_ids(membership)
        if membership.role == Role.SALES_LEADER
        else set(),
        "next_statuses": sorted(services.TRANSITIONS[program.status]),
        "status_labels": dict(ProgramStatus.choices),
        "training_minutes": sum(t.duration_minutes for t in program.training.all() if t.required),
        "open_questions": program.questions.filter(answered_at__isnull=True).count(),
        "oob": False,
    }
    if can_manage:
        context.update(
            activity_form=f.ActivityForm(org=org, team_ids=audience_ids),
            wiifm_form=f.WiifmForm(
                initial={
                    "wiifm": program.wiifm,
                    "incentive_kind": program.incentive_kind,
                    "incentive_amount": program.incentive_amount,
                    "incentive_currency": program.incentive_currency,
                    "proof_points": program.proof_points,
                }
            ),
            asset_form=f.AssetForm(org=org),
            target_form=f.TargetForm(org=org, team_ids=audience_ids),
            training_form=f.TrainingForm(),
            check_form=f.KnowledgeCheckForm(
                initial={
                    "title": context["check"].title,
                    "pass_mark": context["check"].pass_mark,
                    "attempts_allowed": context["check"].attempts_allowed,
                }
                if context["check"]
                else None
            ),
            champion_form=f.ChampionForm(org=org, team_ids=selling_ids),
        )
    context.update(extra)
    return context


@org_view(Perm.VIEW_PROGRAMS)
@require_GET
def program_detail(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    return render(request, "programs/detail.html", detail_context(request, program))


def section_response(
    request: OrgRequest, program: Program, section: str, status: int = 200, **forms: Form
) -> HttpResponse:
    """After a section change: htmx gets the section and the score card; others a redirect
    (or, with errors, the whole page with status 400)."""
    if is_htmx(request):
        context = detail_context(request, program, **forms)
        html = render_to_string(f"programs/detail.html#section-{section}", context, request)
        context["oob"] = True
        html += render_to_string("programs/detail.html#scorecard", context, request)
        return HttpResponse(html)
    if status >= 400:
        context = detail_context(request, program, **forms)
        return render(request, "programs/detail.html", context, status=status)
    url = reverse("programs:detail", args=[request.org.slug, program.pk])
    return HttpResponseRedirect(f"{url}#section-{section}")


def _guarded(view: Any) -> Any:
    """Turn a ProgramError raised by a service into a clear message instead of a 500."""

    def wrapper(request: OrgRequest, program_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, program_id, *args, **kwargs)  # type: ignore[no-any-return]
        except services.ProgramError as exc:
            if is_htmx(request):
                response = HttpResponse(f'<p class="form-errors" role="alert">{exc}</p>')
                response["HX-Retarget"] = "#program-alert"
                return response
            messages.error(request, str(exc))
            return redirect("programs:detail", org_slug=request.org.slug, program_id=program_id)

    wrapper.__name__ = view.__name__
    return wrapper


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
@_guarded
def activity_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = managed_program(request, program_id)
    form = f.ActivityForm(
        request.POST, org=request.org, team_ids=services.audience_team_ids(program)
    )
    if not form.is_valid():
        return section_response(request, program, "sell_in", 400, activity_form=form)
    values = form.values()
    teams = values.pop("teams")
    services.add_activity(program=program, acting_user=request.user, teams=teams, **values)
    return section_response(request, program, "sell_in")


CHILDREN: dict[str, tuple[Any, str, str]] = {
    "activities": (SellInActivity, "sell_in", "program.activity_removed"),
    "champions": (Champion, "buy_in", "program.champion_removed"),
    "assets": (Asset, "kit", "program.asset_removed"),
    "targets": (Target, "targets", "program.target_removed"),
    "training": (TrainingItem, "training", "program.training_removed"),
}


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
@_guarded
def child_delete(request: OrgRequest, program_id: int, kind: str, item_id: int) -> HttpResponse:
    if kind not in CHILDREN:
        raise Http404("No such section")
    program = managed_program(request, program_id)
    model, section, action = CHILDREN[kind]
    obj = model.objects.filter(program=program, pk=item_id).first()
    if obj is None:
        raise Http404("No such item")
    if isinstance(obj, TrainingItem):
        services.remove_training(item=obj, acting_user=request.user)
    else:
        services.delete_child(program=program, acting_user=request.user, obj=obj, action=action)
    return section_response(request, program, section)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
@_guarded
def wiifm_save(request: OrgRequest, program_id: int) -> HttpResponse:
    program = managed_program(request, program_id)
    form = f.WiifmForm(request.POST)
    if not form.is_valid():
        return section_response(request, program, "wiifm", 400, wiifm_form=form)
    services.save_wiifm(program=program, acting_user=request.user, values=form.cleaned_data)
    return section_response(request, program, "wiifm")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
@_guarded
def asset_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = managed_program(request, program_id)
    form = f.AssetForm(request.POST, request.FILES, org=request.org)
    if not form.is_valid():
        return section_response(request, program, "kit", 400, asset_form=form)
    services.add_asset(program=program, acting_user=request.user, **form.values())
    return section_response(request, program, "kit")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
@_guarded
def target_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = managed_program(request, program_id)
    form = f.TargetForm(request.POST, org=request.org, team_ids=services.audience_team_ids(program))
    if not form.is_valid():
        return section_response(request, program, "targets", 400, target_form=form)
    services.add_target(program=program, acting_user=request.user, **form.cleaned_data)
    return section_response(request, program, "targets")


@org_view(Perm.LEAD_TEAMS)
@require_POST
@_guarded
def target_respond(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    target = Target.objects.filter(program=program, pk=item_id).select_related("program").first()
    if target is None:
        raise Http404("No such target")
    form = f.TargetResponseForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        raise services.ProgramError(errors)
    services.respond_target(
        target=target,
        membership=request.membership,
        status=form.cleaned_data["status"],
        comment=form.cleaned_data["comment"],
    )
    return section_response(request, program, "targets")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
@_guarded
def training_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = managed_program(request, program_id)
    form = f.TrainingForm(request.POST)
    if not form.is_valid():
        return section_response(request, program, "training", 400, training_form=form)
    services.add_training(program=program, acting_user=request.user, **form.cleaned_data)
    return section_response(request, program, "training")


@org_view(Perm.MANAGE_PROGRAMS)
def training_edit(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    item = TrainingItem.objects.filter(program=program, pk=item_id).first()
    if item is None or program.status == ProgramStatus.CLOSED:
        raise Http404("No such training item")
    initial = {f: getattr(item, f) for f in (*services.TRAINING_FIELDS, "kind", "required")}
    if item.starts_at:
        initial["starts_at"] = timezone.localtime(item.starts_at, request.org.tzinfo)
    form = f.TrainingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_training(item=item, acting_user=request.user, **form.cleaned_data)
        messages.success(
            request,
            f"“{item.title}” saved."
            + (
                " Invited reps get the updated calendar invite."
                if item.kind == "live" and program.status == ProgramStatus.LIVE
                else ""
            ),
        )
        url = reverse("programs:detail", args=[request.org.slug, program.pk])
        return HttpResponseRedirect(f"{url}#section-training")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "programs/training_form.html", {"form": form, "program": program, "item": item},
        status=status,
    )  # fmt: skip


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
@_guarded
def check_save(request: OrgRequest, program_id: int) -> HttpResponse:
    program = managed_program(request, program_id)
    form = f.KnowledgeCheckForm(request.POST)
    if not form.is_valid():
        return section_response(request, program, "training", 400, check_form=form)
    services.set_knowledge_check(program=program, acting_user=request.user, **form.cleaned_data)
    return section_response(request, program, "training")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
@_guarded
def champion_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = managed_program(request, program_id)
    form = f.ChampionForm(
        request.POST, org=request.org, team_ids=services.selling_team_ids(program)
    )
    if not form.is_valid():
        return section_response(request, program, "buy_in", 400, champion_form=form)
    services.add_champion(
        program=program, acting_user=request.user, member=form.cleaned_data["member"]
    )
    return section_response(request, program, "buy_in")


@org_view(Perm.LEAD_TEAMS)
@require_POST
@_guarded
def endorse(request: OrgRequest, program_id: int) -> HttpResponse:
    program = managed_program(request, program_id)
    form = f.EndorseForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    services.endorse(program=program, membership=request.membership, comment=comment)
    return section_response(request, program, "buy_in")


@org_view()
@require_POST
@_guarded
def feedback_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    form = f.TextForm(request.POST)
    if not form.is_valid():
        raise services.ProgramError("Write your feedback (up to 2000 characters).")
    services.give_feedback(
        program=program, membership=request.membership, body=form.cleaned_data["body"]
    )
    if request.membership.is_rep:
        messages.success(request, "Thank you: marketing sees your feedback.")
        return redirect("programs:brief", org_slug=request.org.slug, program_id=program.pk)
    return section_response(request, program, "buy_in")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
@_guarded
def feedback_respond(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    program = managed_program(request, program_id)
    item = PreviewFeedback.objects.filter(program=program, pk=item_id).first()
    if item is None:
        raise Http404("No such feedback")
    form = f.FeedbackResponseForm(request.POST)
    if not form.is_valid():
        raise services.ProgramError("Write an answer or mark the feedback as addressed.")
    services.respond_feedback(item=item, acting_user=request.user, **form.cleaned_data)
    return section_response(request, program, "buy_in")


# --- assets -----------------------------------------------------------------------------


def access_asset(request: OrgRequest, program: Program, asset_id: int) -> Asset:
    assets = Asset.objects.filter(program=program)
    if request.membership.role == Role.PARTNER_REP:
        assets = assets.filter(partner_visible=True)
    asset = assets.filter(pk=asset_id).first()
    if asset is None:
        raise Http404("No such asset")
    return asset


@org_view()
@require_GET
def asset_open(request: OrgRequest, program_id: int, item_id: int) -> HttpResponseBase:
    """Download an uploaded file (always as an attachment) or follow a link; recorded."""
    program = access_program(request, program_id)
    if request.membership.is_rep and program.status == ProgramStatus.PREVIEW:
        raise Http404("The kit opens at launch")
    asset = access_asset(request, program, item_id)
    if asset.url:
        services.record_asset_use(asset=asset, user=request.user, verb="asset.viewed")
        return HttpResponseRedirect(asset.url)
    try:
        handle = asset.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage") from exc
    services.record_asset_use(asset=asset, user=request.user, verb="asset.downloaded")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=asset.original_name or "download",
        content_type=asset.content_type or "application/octet-stream",
    )


# --- the rep brief ----------------------------------------------------------------------


def pulse_context(program: Program, membership: Membership) -> dict[str, Any]:
    pulse_round = current_round(program) if program.status == ProgramStatus.LIVE else None
    mine = (
        PulseResponse.objects.filter(round=pulse_round, user=membership.user).first()
        if pulse_round
        else None
    )
    initial = (
        {"understand": mine.understand, "helps": mine.helps, "next_steps": mine.next_steps,
         "comment": mine.comment}
        if mine
        else None
    )  # fmt: skip
    return {"pulse_round": pulse_round, "my_pulse": mine, "pulse_form": PulseForm(initial=initial)}


def brief_context(request: OrgRequest, program: Program) -> dict[str, Any]:
    membership = request.membership
    assets = program.assets.select_related("owner")
    if membership.role == Role.PARTNER_REP:
        assets = assets.filter(partner_visible=True)
    state = services.brief_state(program, request.user)
    training = list(program.training.all())
    done = set(
        TrainingCompletion.objects.filter(item__program=program, user=request.user).values_list(
            "item_id", flat=True
        )
    )
    check = KnowledgeCheck.objects.filter(program=program).first()
    check_ready = check is not None and check.questions.exists()
    return {
        "done": done,
        "check_ready": check_ready,
        "check_status": check_status(check, request.user) if check and check_ready else None,
        "certified": Certification.objects.filter(program=program, user=request.user).exists(),
        "program": program,
        "state": state,
        "assets": assets,
        "training": training,
        "required_minutes": sum(t.duration_minutes for t in training if t.required),
        "check": check,
        "shares": services.rep_target_share(program, membership),
        "faq": program.questions.filter(in_faq=True).order_by("-answered_at")[:30],
        **pulse_context(program, membership),
        "my_questions": program.questions.filter(asked_by=request.user)[:10],
        "question_form": f.TextForm(),
        "today": timezone.localdate(),
        "is_preview": program.status == ProgramStatus.PREVIEW,
        "can_give_feedback": program.status == ProgramStatus.PREVIEW
        and services.in_audience(membership, program),
    }


@org_view()
@require_GET
def brief(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    if program.status == ProgramStatus.DRAFT:
        raise Http404("No brief yet")
    if request.membership.is_rep and program.status == ProgramStatus.LIVE:
        services.open_brief(program=program, user=request.user)
    return render(request, "programs/brief.html", brief_context(request, program))


@org_view(Perm.SELL)
@require_POST
def brief_acknowledge(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    if program.status != ProgramStatus.LIVE:
        raise Http404("Only a live program's brief is acknowledged")
    if services.acknowledge_brief(program=program, user=request.user):
        messages.success(request, "Thanks: marketing knows you have read the brief.")
    return redirect("programs:brief", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.SELL)
@require_POST
def brief_ask(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    if program.status != ProgramStatus.LIVE:
        raise Http404("Questions open at launch")
    form = f.TextForm(request.POST)
    if not form.is_valid():
        context = brief_context(request, program)
        context["question_form"] = form
        return render(request, "programs/brief.html", context, status=400)
    services.ask_question(program=program, user=request.user, body=form.cleaned_data["body"])
    messages.success(request, "Question sent. You will be told when marketing answers.")
    return redirect("programs:brief", org_slug=request.org.slug, program_id=program.pk)


def rep_programs(membership: Membership) -> list[dict[str, Any]]:
    """A rep's live programs with what is still to do (for the rep home page)."""
    programs = (
        services.visible_programs(membership)
        .filter(status=ProgramStatus.LIVE, archived_at__isnull=True)
        .annotate(required_items=Count("training", filter=Q(training__required=True)))
        .order_by("launch_date")
    )
    done = set(
        TrainingCompletion.objects.filter(
            user=membership.user, item__program__in=programs
        ).values_list("item_id", flat=True)
    )
    rows = []
    for program in programs:
        state = services.brief_state(program, membership.user)
        todo = []
        if not state.acknowledged:
            todo.append("Read the brief and confirm")
        left = [t for t in program.training.all() if t.required and t.pk not in done]
        if left:
            todo.append(f"{len(left)} required training item{'s' if len(left) > 1 else ''} to do")
        check = getattr(program, "knowledge_check", None)
        if check is not None and check.questions.exists():
            if not check_status(check, membership.user).passed:
                todo.append("Pass the knowledge check")
        rows.append({"program": program, "state": state, "todo": todo})
    return rows
