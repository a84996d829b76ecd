"""The rep brief: one page per rep per program, and what reps do on it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lockstep.accounts.models import User
from lockstep.briefs import services
from lockstep.core.csvexport import safe_filename
from lockstep.core.permissions import Perm
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.enablement.models import TrainingCompletion
from lockstep.enablement.services import CheckStatus
from lockstep.feedback import services as feedback
from lockstep.feedback.forms import PulseForm
from lockstep.feedback.models import PulseResponse, RepQuestion
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import TeamTree
from lockstep.programs.access import access_program, access_training_item
from lockstep.programs.forms import TextForm
from lockstep.programs.launch import SessionInvite, ics, invite_snapshot
from lockstep.programs.models import Program, ProgramStatus, TrainingKind
from lockstep.programs.selectors import (
    current_round,
    in_audience,
    kit_assets,
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


FAQ_SHOWN = 30  # the latest answers in the FAQ
MINE_SHOWN = 10  # the rep's own latest questions


def faq_and_mine(program: Program, user: User) -> dict[str, list[RepQuestion]]:
    """The FAQ and the rep's own latest questions, in one query (each ranked in its own
    window, so neither list crowds out the other)."""
    rows: list[RepQuestion] = list(
        program.questions.filter(Q(in_faq=True) | Q(asked_by=user))
        .annotate(
            faq_rank=Window(
                RowNumber(), partition_by=[F("in_faq")], order_by=F("answered_at").desc()
            ),
            mine_rank=Window(
                RowNumber(), partition_by=[F("asked_by")], order_by=F("created_at").desc()
            ),
        )
        .filter(
            Q(in_faq=True, faq_rank__lte=FAQ_SHOWN) | Q(asked_by=user, mine_rank__lte=MINE_SHOWN)
        )
    )
    faq = [q for q in rows if q.in_faq and getattr(q, "faq_rank", 0) <= FAQ_SHOWN]
    mine = [
        q for q in rows if q.asked_by_id == user.pk and getattr(q, "mine_rank", 0) <= MINE_SHOWN
    ]
    faq.sort(key=lambda q: getattr(q, "faq_rank", 0))
    mine.sort(key=lambda q: getattr(q, "mine_rank", 0))
    return {"faq": faq, "my_questions": mine}


def brief_context(request: OrgRequest, program: Program) -> dict[str, Any]:
    membership = request.membership
    assets = kit_assets(membership, program)
    user = request.user
    # one query each for what the rep has done: the sessions and modules with their own
    # completion, and the facts about the rep (certified, brief read)
    training = list(
        program.training.annotate(
            mine_done=Exists(TrainingCompletion.objects.filter(item=OuterRef("pk"), user=user))
        )
    )
    done = {t.pk for t in training if getattr(t, "mine_done", False)}
    facts = services.rep_facts(program, user)
    check = facts.check
    check_ready = check is not None and facts.check_questions > 0
    now = timezone.now()
    sessions = [t for t in training if t.kind == TrainingKind.LIVE and t.ends_at is not None]
    return {
        "done": done,
        # A session that is over is no longer a to-do nor something to add to a calendar.
        "past_sessions": {t.pk for t in sessions if t.ends_at and t.ends_at <= now},
        "upcoming_sessions": {t.pk for t in sessions if t.ends_at and t.ends_at > now},
        "check_ready": check_ready,
        # the rep's attempts, read with the rep's other facts (same rules as check_status)
        "check_status": CheckStatus(
            attempts_used=facts.attempts_used,
            attempts_left=max(check.attempts_allowed - facts.attempts_used, 0),
            passed=facts.passed,
            best_score=facts.best_score,
            open_attempt=None,
        )
        if check and check_ready
        else None,
        "check_open": facts.attempt_open,
        "certified": facts.certified,
        "program": program,
        "state": facts.brief,
        "assets": assets,
        "training": training,
        "required_minutes": sum(t.duration_minutes for t in training if t.required),
        "check": check if check_ready else None,
        "shares": rep_target_share(program, membership, TeamTree.load(program.org)),
        **faq_and_mine(program, user),
        **pulse_context(program, membership),
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


@org_view(Perm.READ_BRIEFS)
@require_GET
def session_ics(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    """ "Add to calendar": one live session of the brief as an iCalendar file, the same event
    (UID, sequence) as the e-mailed invite. Only for a scheduled session of a program the
    member sees that is in preview, ready or live; a removed session is gone (404)."""
    program = access_program(request.membership, program_id)
    if program.status in (ProgramStatus.DRAFT, ProgramStatus.CLOSED) or program.archived_at:
        raise Http404("No sessions to add")
    item = access_training_item(request.membership, program, item_id)
    if item.kind != TrainingKind.LIVE or item.starts_at is None:
        raise Http404("Not a scheduled session")
    invite = SessionInvite(**invite_snapshot(item))
    body = ics(invite, program.org, "REQUEST", attendee=request.user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    name = safe_filename(f"{program.name}-{item.title}")
    response["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


@org_view(Perm.SELL)
@require_POST
def brief_acknowledge(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    if services.acknowledge_brief(program=program, user=request.user):
        messages.success(request, "Thanks: marketing knows you have read the brief.")
    return redirect(brief_section(request, program, "next"))


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
    return redirect(brief_section(request, program, "ask"))


def brief_section(request: OrgRequest, program: Program, section: str) -> str:
    """The brief at the section the rep acted in: a long brief does not jump to its top."""
    return reverse("briefs:brief", args=[request.org.slug, program.pk]) + f"#{section}"
