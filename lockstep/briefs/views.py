"""The rep brief: one page per rep per program, and what reps do on it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lockstep.briefs import services
from lockstep.core.permissions import Perm, can
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.enablement.models import Certification, TrainingCompletion
from lockstep.enablement.services import check_status
from lockstep.feedback import services as feedback
from lockstep.feedback.forms import PulseForm
from lockstep.feedback.models import PulseResponse
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import TeamTree
from lockstep.programs.access import access_program
from lockstep.programs.forms import TextForm
from lockstep.programs.models import KnowledgeCheck, Program, ProgramStatus
from lockstep.programs.selectors import (
    current_round,
    in_audience,
    rep_target_share,
)


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
    if not can(membership, Perm.VIEW_INTERNAL_KIT):
        assets = assets.filter(partner_visible=True)
    training = list(program.training.all())
    done = set(
        TrainingCompletion.objects.filter(item__program=program, user=request.user).values_list(
            "item_id", flat=True
        )
    )
    check = (
        KnowledgeCheck.objects.filter(program=program)
        .annotate(n_questions=Count("questions"))
        .first()
    )
    check_ready = check is not None and getattr(check, "n_questions", 0) > 0
    return {
        "done": done,
        "check_ready": check_ready,
        "check_status": check_status(check, request.user) if check and check_ready else None,
        "certified": Certification.objects.filter(program=program, user=request.user).exists(),
        "program": program,
        "state": services.brief_state(program, request.user),
        "assets": assets,
        "training": training,
        "required_minutes": sum(t.duration_minutes for t in training if t.required),
        "check": check if check_ready else None,
        "shares": rep_target_share(program, membership, TeamTree.load(program.org)),
        "faq": program.questions.filter(in_faq=True).order_by("-answered_at")[:30],
        **pulse_context(program, membership),
        "my_questions": program.questions.filter(asked_by=request.user)[:10],
        "question_form": TextForm(),
        "today": timezone.localdate(),
        "is_preview": program.status == ProgramStatus.PREVIEW,
        "can_give_feedback": program.status == ProgramStatus.PREVIEW
        and in_audience(membership, program),
    }


@org_view(Perm.READ_BRIEFS)
@require_GET
def brief(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    if program.status == ProgramStatus.DRAFT:
        raise Http404("No brief yet")
    if request.membership.is_rep and program.status == ProgramStatus.LIVE:
        services.open_brief(program=program, user=request.user)
    return render(request, "briefs/brief.html", brief_context(request, program))


@org_view(Perm.SELL)
@require_POST
def brief_acknowledge(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    if services.acknowledge_brief(program=program, user=request.user):
        messages.success(request, "Thanks: marketing knows you have read the brief.")
    return redirect("briefs:brief", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.SELL)
@require_POST
def brief_ask(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    form = TextForm(request.POST)
    if not form.is_valid():
        context = brief_context(request, program)
        context["question_form"] = form
        return render(request, "briefs/brief.html", context, status=400)
    feedback.ask_question(program=program, user=request.user, body=form.cleaned_data["body"])
    messages.success(request, "Question sent. You will be told when marketing answers.")
    return redirect("briefs:brief", org_slug=request.org.slug, program_id=program.pk)
