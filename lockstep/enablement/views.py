"""Rep-facing training and knowledge-check pages, and marketing's check builder."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lockstep.core.imports import run_import
from lockstep.core.permissions import Perm, can
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.enablement import services
from lockstep.enablement.forms import AttendanceUploadForm, QuestionForm
from lockstep.enablement.imports import AttendanceSpec
from lockstep.enablement.models import (
    Certification,
    CheckAttempt,
    CheckQuestion,
    CompletionSource,
    TrainingCompletion,
)
from lockstep.orgs.models import Role
from lockstep.orgs.services import leader_team_ids
from lockstep.programs.models import (
    KnowledgeCheck,
    Program,
    ProgramStatus,
    TrainingItem,
    TrainingKind,
)
from lockstep.programs.services import audience_reps
from lockstep.programs.views import access_program


def live_program_for_rep(request: OrgRequest, program_id: int) -> Program:
    program = access_program(request, program_id)
    if program.status != ProgramStatus.LIVE:
        raise Http404("Training opens at launch")
    return program


def brief_redirect(request: OrgRequest, program: Program) -> HttpResponse:
    return redirect("programs:brief", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.SELL)
@require_POST
def complete_module(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    program = live_program_for_rep(request, program_id)
    item = TrainingItem.objects.filter(program=program, pk=item_id).first()
    if item is None:
        raise Http404("No such training item")
    try:
        services.complete_module(item=item, user=request.user)
    except services.EnablementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{item.title}” marked as done.")
    return brief_redirect(request, program)


def _attendance_people(request: OrgRequest, program: Program) -> Any:
    reps = (
        audience_reps(program)
        .select_related("user", "team")
        .order_by("team__name", "user__last_name")
    )
    if request.membership.role == Role.SALES_LEADER:
        reps = reps.filter(team_id__in=leader_team_ids(request.membership))
    return reps


@org_view()
@require_http_methods(["GET", "POST"])
def attendance(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    """Marketing (any rep of the audience) or a leader (their reps) marks who attended."""
    if not (
        can(request.membership, Perm.MANAGE_PROGRAMS) or can(request.membership, Perm.LEAD_TEAMS)
    ):
        raise Http404("No such page")
    program = access_program(request, program_id)
    item = TrainingItem.objects.filter(program=program, pk=item_id, kind=TrainingKind.LIVE).first()
    if item is None:
        raise Http404("No such live session")
    people = _attendance_people(request, program)
    report = None
    upload = AttendanceUploadForm()
    if request.method == "POST" and "file" in request.FILES:
        upload = AttendanceUploadForm(request.POST, request.FILES)
        if upload.is_valid() and can(request.membership, Perm.MANAGE_PROGRAMS):
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
        chosen = set(request.POST.getlist("user"))
        users = [m.user for m in people if str(m.user_id) in chosen]
        added = services.mark_attendance(
            item=item, users=users, acting_user=request.user, source=CompletionSource.ATTENDED
        )
        messages.success(request, f"{added} attendee(s) recorded.")
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
    }
    return render(request, "enablement/attendance.html", context, status=400 if report else 200)


@org_view(Perm.MANAGE_PROGRAMS)
@require_http_methods(["GET", "POST"])
def check_questions(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    check = KnowledgeCheck.objects.filter(program=program).first()
    if check is None:
        messages.error(
            request, "Add the knowledge check first (pass mark, attempts), then its questions."
        )
        return redirect("programs:detail", org_slug=request.org.slug, program_id=program.pk)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_question(
            check=check, acting_user=request.user, text=form.cleaned_data["text"],
            kind=form.cleaned_data["kind"], explanation=form.cleaned_data["explanation"],
            choices=form.cleaned_data["choices"],
        )  # fmt: skip
        messages.success(request, "Question added.")
        return redirect("enablement:questions", org_slug=request.org.slug, program_id=program.pk)
    questions = check.questions.prefetch_related("choices")
    context = {"program": program, "check": check, "questions": questions, "form": form}
    return render(request, "enablement/questions.html", context, status=400 if form.errors else 200)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def question_delete(request: OrgRequest, program_id: int, question_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    question = CheckQuestion.objects.filter(
        knowledge_check__program=program, pk=question_id
    ).first()
    if question is None:
        raise Http404("No such question")
    services.delete_question(question=question, acting_user=request.user)
    return redirect("enablement:questions", org_slug=request.org.slug, program_id=program.pk)


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
    try:
        attempt = services.start_attempt(check=check, user=request.user)
    except services.EnablementError as exc:
        messages.error(request, str(exc))
        return brief_redirect(request, program)
    if request.method == "POST":
        valid = {
            row["id"]: {c["id"] for c in row["choices"]}
            for row in _attempt_context(attempt)["rows"]
        }
        answers: dict[str, list[int]] = {}
        missing = []
        for qid, allowed in valid.items():
            picked = [
                int(v) for v in request.POST.getlist(f"q{qid}") if v.isdigit() and int(v) in allowed
            ]
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
        try:
            attempt = services.submit_attempt(attempt=attempt, answers=answers)
        except services.EnablementError as exc:
            messages.error(request, str(exc))
            return brief_redirect(request, program)
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
    program = access_program(request, program_id)
    attempt = CheckAttempt.objects.filter(
        pk=attempt_id,
        user=request.user,
        knowledge_check__program=program,
        submitted_at__isnull=False,
    ).first()
    if attempt is None:
        raise Http404("No such attempt")
    check = attempt.knowledge_check
    context = {
        "program": program,
        "check": check,
        "attempt": attempt,
        "results": services.grade(attempt),
        "status": services.check_status(check, request.user),
        "certified": Certification.objects.filter(program=program, user=request.user).exists(),
    }
    return render(request, "enablement/result.html", context)


@org_view(Perm.SELL)
@require_GET
def certificate(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request, program_id)
    certification = Certification.objects.filter(program=program, user=request.user).first()
    if certification is None:
        raise Http404("Not certified yet")
    return render(
        request, "enablement/certificate.html", {"program": program, "certification": certification}
    )
