"""Rep-facing training and knowledge-check pages, and marketing's check builder."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lockstep.core.imports import run_import
from lockstep.core.params import posted_ids
from lockstep.core.permissions import Perm, can
from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.enablement import services
from lockstep.enablement.access import access_attempt
from lockstep.enablement.forms import AttendanceUploadForm
from lockstep.enablement.imports import AttendanceSpec
from lockstep.enablement.models import (
    Certification,
    CheckAttempt,
    CompletionSource,
    TrainingCompletion,
)
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import team_scope
from lockstep.programs.access import access_program, access_training_item
from lockstep.programs.models import (
    CheckQuestion,
    KnowledgeCheck,
    Program,
    ProgramStatus,
    TrainingKind,
)
from lockstep.programs.selectors import audience_reps


def live_program_for_rep(request: OrgRequest, program_id: int) -> Program:
    program = access_program(request.membership, program_id)
    if program.status != ProgramStatus.LIVE:
        raise Http404("Training opens at launch")
    return program


def brief_redirect(request: OrgRequest, program: Program) -> HttpResponse:
    """Back to the brief's training section, where the rep acted (not the top of the page)."""
    return redirect(reverse("briefs:brief", args=[request.org.slug, program.pk]) + "#training")


@org_view(Perm.SELL)
@require_POST
def complete_module(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    program = live_program_for_rep(request, program_id)
    item = access_training_item(request.membership, program, item_id)
    services.complete_module(item=item, user=request.user)
    messages.success(request, f"“{item.title}” marked as done.")
    return brief_redirect(request, program)


def _attendance_people(request: OrgRequest, program: Program) -> QuerySet[Membership]:
    reps = (
        audience_reps(program)
        .select_related("user", "team")
        .order_by("team__name", "user__last_name")
    )
    scope = team_scope(request.membership)
    return reps if scope is None else reps.filter(team_id__in=scope)


@org_view(Perm.RECORD_ATTENDANCE)
@require_http_methods(["GET", "POST"])
def attendance(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    """Marketing (any rep of the audience) or a leader (their reps) marks who attended."""
    program = access_program(request.membership, program_id)
    item = access_training_item(request.membership, program, item_id)
    if item.kind != TrainingKind.LIVE:
        raise Http404("No such live session")
    people = _attendance_people(request, program)
    report = None
    upload = AttendanceUploadForm()
    if request.method == "POST" and "file" in request.FILES:
        upload = AttendanceUploadForm(request.POST, request.FILES)
        if upload.is_valid() and can(request.membership, Perm.IMPORT_DATA):
            spec = AttendanceSpec(item, request.user)
            report = run_import(spec, upload.cleaned_data["file"], acting_user=request.user)
            if report.ok:
                messages.success(request, report.summary())
                return redirect(
                    "enablement:attendance",
                    org_slug=request.org.slug,
                    program_id=program.pk,
                    item_id=item.pk,
                )
    elif request.method == "POST":
        chosen_ids = set(posted_ids(request.POST.getlist("user")))
        users = [m.user for m in people if m.user_id in chosen_ids]
        added = services.mark_attendance(
            item=item, users=users, acting_user=request.user, source=CompletionSource.ATTENDED
        )
        messages.success(request, f"{counted(added, 'attendee', 'attendees')} recorded.")
        return redirect(
            "enablement:attendance",
            org_slug=request.org.slug,
            program_id=program.pk,
            item_id=item.pk,
        )
    done = set(TrainingCompletion.objects.filter(item=item).values_list("user_id", flat=True))
    context = {
        "program": program,
        "item": item,
        "people": people,
        "done": done,
        "report": report,
        "upload": upload,
        "started": services.has_started(item),
    }
    return render(request, "enablement/attendance.html", context, status=400 if report else 200)


def _attempt_context(attempt: CheckAttempt) -> dict[str, Any]:
    """Questions and choices in the attempt's order, without any hint of what is correct."""
    questions = {
        q.pk: q
        for q in CheckQuestion.objects.filter(
            knowledge_check=attempt.knowledge_check
        ).prefetch_related("choices")
    }
    rows = []
    for qid in attempt.order["questions"]:
        question = questions.get(qid)
        if question is None:
            continue
        by_id = {c.pk: c for c in question.choices.all()}
        order = attempt.order["choices"].get(str(qid), [])
        rows.append(
            {
                "id": question.pk,
                "text": question.text,
                "multiple": question.kind == "multiple",
                "choices": [{"id": cid, "text": by_id[cid].text} for cid in order if cid in by_id],
            }
        )
    return {"attempt": attempt, "rows": rows}


@org_view(Perm.SELL)
@require_http_methods(["GET", "POST"])
def take_check(request: OrgRequest, program_id: int) -> HttpResponse:
    program = live_program_for_rep(request, program_id)
    check = KnowledgeCheck.objects.filter(program=program).first()
    if check is None:
        raise Http404("This program has no knowledge check")
    attempt = services.start_attempt(check=check, user=request.user)
    if request.method == "POST":
        valid = {
            row["id"]: {c["id"] for c in row["choices"]}
            for row in _attempt_context(attempt)["rows"]
        }
        answers: dict[str, list[int]] = {}
        missing = []
        for qid, allowed in valid.items():
            picked = [v for v in posted_ids(request.POST.getlist(f"q{qid}")) if v in allowed]
            if not picked:
                missing.append(qid)
            answers[str(qid)] = picked
        if missing:
            context = {"program": program, "check": check, **_attempt_context(attempt)}
            context["missing"] = set(missing)
            for row in context["rows"]:
                for choice in row["choices"]:
                    choice["checked"] = choice["id"] in answers.get(str(row["id"]), [])
            return render(request, "enablement/take.html", context, status=400)
        attempt = services.submit_attempt(attempt=attempt, answers=answers)
        return redirect(
            "enablement:attempt",
            org_slug=request.org.slug,
            program_id=program.pk,
            attempt_id=attempt.pk,
        )
    context = {"program": program, "check": check, "missing": set(), **_attempt_context(attempt)}
    return render(request, "enablement/take.html", context)


@org_view(Perm.SELL)
@require_GET
def attempt_result(request: OrgRequest, program_id: int, attempt_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    attempt = access_attempt(request.membership, program, attempt_id)
    check = attempt.knowledge_check
    status = services.check_status(check, request.user)
    # The right answers (and the explanations that give them away) are shown only once the
    # rep passed or has no attempt left: otherwise anyone passes on the second try.
    reveal = status.passed or status.attempts_left == 0
    results = services.grade(attempt)
    if not reveal:
        results = [replace(r, correct_choices=[]) for r in results]
    context = {
        "program": program,
        "check": check,
        "attempt": attempt,
        "results": results,
        "reveal": reveal,
        "wrong": sum(1 for r in results if not r.is_correct),
        "status": status,
        "certified": Certification.objects.filter(program=program, user=request.user).exists(),
    }
    return render(request, "enablement/result.html", context)


@org_view(Perm.SELL)
@require_GET
def certificate(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    certification = Certification.objects.filter(program=program, user=request.user).first()
    if certification is None:
        raise Http404("Not certified yet")
    return render(
        request, "enablement/certificate.html", {"program": program, "certification": certification}
    )
