"""Pulse answers, results and settings, and marketing's questions inbox."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lockstep.core.csvexport import Table, export_response
from lockstep.core.permissions import Perm
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.feedback import services
from lockstep.feedback.access import access_question
from lockstep.feedback.forms import AnswerForm, FaqForm, PulseForm, PulseSettingsForm
from lockstep.feedback.models import MIN_GROUP, PULSE_STATEMENTS
from lockstep.orgs.models import Team
from lockstep.orgs.selectors import team_scope
from lockstep.programs.access import access_program
from lockstep.programs.models import Program, ProgramStatus, PulseRound
from lockstep.programs.selectors import current_round, round_opens_on


def open_round(program: Program) -> PulseRound:
    if program.status != ProgramStatus.LIVE:
        raise Http404("The pulse opens at launch")
    pulse_round = current_round(program)
    if pulse_round is None:
        raise Http404("No pulse round is open")
    return pulse_round


@org_view(Perm.SELL)
@require_POST
def pulse_answer(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    pulse_round = open_round(program)
    form = PulseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a score from 1 to 5 for each of the three statements.")
        return redirect(reverse("briefs:brief", args=[request.org.slug, program.pk]) + "#pulse")
    data = dict(form.cleaned_data)
    comment = data.pop("comment")
    services.answer_pulse(
        pulse_round=pulse_round, membership=request.membership, scores=data, comment=comment
    )
    messages.success(
        request, "Thanks: your pulse is recorded. You can change it until the next round."
    )
    return redirect(reverse("briefs:brief", args=[request.org.slug, program.pk]) + "#pulse")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def pulse_settings(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    form = PulseSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A round is 0 to 365 days after launch.")
    else:
        services.change_pulse_settings(
            program=program,
            acting_user=request.user,
            anonymous=form.cleaned_data["anonymous"],
            day_offset=form.cleaned_data["day_offset"],
        )
        messages.success(request, "Pulse settings saved.")
    return redirect("feedback:pulse", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def pulse_results(request: OrgRequest, program_id: int) -> HttpResponseBase:
    program = access_program(request.membership, program_id)
    rounds = list(program.pulse_rounds.all())
    chosen = rounds[-1] if rounds else None
    wanted = request.GET.get("round", "")
    for pulse_round in rounds:
        if str(pulse_round.pk) == wanted:
            chosen = pulse_round
    summary = services.pulse_summary(program, chosen) if chosen else None
    scope = team_scope(request.membership)
    if summary and scope is not None:
        mine = set(
            Team.objects.for_org(request.org).filter(pk__in=scope).values_list("name", flat=True)
        )
        summary["groups"] = [g for g in summary["groups"] if g.label in mine]
        summary["individual"] = [r for r in summary["individual"] if r.team and r.team.name in mine]
    tables = pulse_tables(program, summary)
    if (csv := export_response(request, tables)) is not None:
        return csv
    context = {
        "program": program,
        "rounds": rounds,
        "chosen": chosen,
        "summary": summary,
        "round_query": f"round={chosen.pk}" if chosen else "",
        "statements": PULSE_STATEMENTS,
        "min_group": MIN_GROUP,
        "settings_form": PulseSettingsForm(initial={"anonymous": program.pulse_anonymous}),
        "opens": {r.pk: round_opens_on(r, program) for r in rounds},
    }
    return render(request, "feedback/pulse.html", context)


def pulse_tables(program: Program, summary: dict[str, Any] | None) -> list[Table]:
    """The round's tables as CSV: per team (hidden groups stay hidden) and, for a named
    pulse only, each answer."""
    if summary is None:
        return []
    name = f"{program.name}-pulse-{summary['round']}"
    statements = list(PULSE_STATEMENTS)
    teams = [["Everyone", summary["answers"], *[summary["overall"][k] for k in statements]]]
    teams += [
        [g.label, g.answers, *[("hidden" if g.hidden else g.averages[k]) for k in statements]]
        for g in summary["groups"]
    ]
    header = ["Team", "Answers", *PULSE_STATEMENTS.values()]
    tables = [Table("teams", name, header, teams)]
    if not program.pulse_anonymous:
        answers = [
            [str(r.user), r.team.name if r.team else "", r.understand, r.helps, r.next_steps,
             r.comment, r.updated_at]
            for r in summary["individual"]
        ]  # fmt: skip
        tables.append(
            Table(
                "answers",
                f"{name}-answers",
                ["Rep", "Team", *PULSE_STATEMENTS.values(), "Comment", "Answered"],
                answers,
            )
        )
    return tables


@org_view(Perm.MANAGE_PROGRAMS)
@require_GET
def inbox(request: OrgRequest, program_id: int) -> HttpResponseBase:
    program = access_program(request.membership, program_id)
    questions = program.questions.select_related("asked_by", "answered_by")
    table = Table(
        "questions",
        f"{program.name}-questions",
        ["Asked", "Asked by", "Question", "Answered", "Answered by", "Hours to first answer",
         "Answer", "In the FAQ"],
        lazy_rows=lambda: [
            [q.created_at, str(q.asked_by or ""), q.body, q.answered_at, str(q.answered_by or ""),
             round((q.answered_at - q.created_at).total_seconds() / 3600, 1)
             if q.answered_at else None, q.answer, q.in_faq]
            for q in questions.order_by("created_at")
        ],
    )  # fmt: skip
    if (csv := export_response(request, [table])) is not None:
        return csv
    context = {
        "program": program,
        "open": questions.filter(answered_at__isnull=True).order_by("created_at"),
        "answered": questions.filter(answered_at__isnull=False).order_by("-answered_at")[:100],
        "times": services.answer_times(program),
        "now": timezone.now(),
    }
    return render(request, "feedback/inbox.html", context)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def answer(request: OrgRequest, program_id: int, question_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    question = access_question(request.membership, program, question_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write an answer (up to 5000 characters).")
    else:
        services.answer_question(
            question=question, acting_user=request.user, answer=form.cleaned_data["answer"]
        )
        messages.success(request, "Answered: the rep is notified.")
    return redirect("feedback:inbox", org_slug=request.org.slug, program_id=program_id)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def faq(request: OrgRequest, program_id: int, question_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    question = access_question(request.membership, program, question_id)
    if request.POST.get("remove"):
        services.remove_from_faq(question=question, acting_user=request.user)
        messages.success(request, "Removed from the FAQ.")
        return redirect("feedback:inbox", org_slug=request.org.slug, program_id=program_id)
    form = FaqForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The FAQ entry needs a question and an answer.")
    else:
        services.promote_to_faq(question=question, acting_user=request.user, **form.cleaned_data)
        messages.success(
            request, "Added to the FAQ: every rep of the audience sees it in the brief."
        )
    return redirect("feedback:inbox", org_slug=request.org.slug, program_id=program_id)
