"""The training plan, completions and attendance, the knowledge check and reps' attempts.
The check's answer key is only ever shown to those who write programs; a rep sees what was
right only in the result of an attempt they submitted."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from lockstep.api.auth import caller
from lockstep.api.common import Id, bound, endpoint
from lockstep.api.problems import field_error, invalid
from lockstep.api.programs import editable
from lockstep.api.schemas import Done, Input, IsoDateTime
from lockstep.core.permissions import Perm, can
from lockstep.enablement import services as enablement
from lockstep.enablement.access import access_attempt, access_open_attempt
from lockstep.enablement.models import CheckAttempt, CompletionSource, TrainingCompletion
from lockstep.enablement.selectors import attempt_questions, attendance_people
from lockstep.programs import forms as f
from lockstep.programs import services
from lockstep.programs.access import (
    access_check_question,
    access_live_program,
    access_program,
    access_training_item,
)
from lockstep.programs.inputs import training_input_of
from lockstep.programs.models import KnowledgeCheck, Program, TrainingItem, TrainingKind

router = Router(tags=["training"])

TrainingKindName = Literal["live", "self_paced"]


class TrainingOut(Schema):
    id: int
    kind: TrainingKindName
    title: str
    starts_at: dt.datetime | None
    duration_minutes: int
    join_url: str
    content_url: str
    content: str = Field(description="Markdown.")
    required: bool
    done: bool | None = Field(description="For reps: whether you completed it.")


class TrainingList(Schema):
    items: list[TrainingOut]
    required_minutes: int


class TrainingIn(Input):
    kind: TrainingKindName
    title: str = Field(min_length=1, max_length=160)
    duration_minutes: int = Field(ge=1, le=600)
    starts_at: IsoDateTime | None = Field(None, description="Live sessions.")
    join_url: str = Field("", max_length=500, description="Live sessions.")
    content_url: str = Field("", max_length=500, description="Self-paced modules.")
    content: str = Field("", max_length=20000)
    required: bool = True


class TrainingPatch(Input):
    title: str | None = Field(None, min_length=1, max_length=160)
    duration_minutes: int | None = Field(None, ge=1, le=600)
    starts_at: IsoDateTime | None = None
    join_url: str | None = Field(None, max_length=500)
    content_url: str | None = Field(None, max_length=500)
    content: str | None = Field(None, max_length=20000)
    required: bool | None = None


def training_out(item: TrainingItem, done: set[int] | None) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "title": item.title,
        "starts_at": item.starts_at,
        "duration_minutes": item.duration_minutes,
        "join_url": item.join_url,
        "content_url": item.content_url,
        "content": item.content,
        "required": item.required,
        "done": None if done is None else item.pk in done,
    }


@endpoint(
    router.get,
    "/programs/{program_id}/training",
    Perm.READ_BRIEFS,
    TrainingList,
    summary="Live sessions and self-paced modules",
)
def list_training(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    items = list(program.training.all())
    done = None
    if m.is_rep:
        done = set(
            TrainingCompletion.objects.filter(item__program=program, user=m.user).values_list(
                "item_id", flat=True
            )
        )
    return {
        "items": [training_out(i, done) for i in items],
        "required_minutes": sum(i.duration_minutes for i in items if i.required),
    }


def _training_form(data: dict[str, Any]) -> f.TrainingForm:
    return bound(f.TrainingForm, data)


@endpoint(
    router.post,
    "/programs/{program_id}/training",
    Perm.MANAGE_PROGRAMS,
    TrainingOut,
    status=201,
    summary="Add a live session (invites go out if live) or a module",
)
def add_training(request: HttpRequest, payload: TrainingIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    form = _training_form(payload.model_dump())
    item = services.add_training(program=program, acting_user=m.user, data=form.to_input())
    return Status(201, training_out(item, None))


@endpoint(
    router.patch,
    "/programs/{program_id}/training/{item_id}",
    Perm.MANAGE_PROGRAMS,
    TrainingOut,
    summary="Change a session or module (a live one's invite is updated)",
)
def patch_training(
    request: HttpRequest, payload: TrainingPatch, program_id: int = Id(), item_id: int = Id()
) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    item = access_training_item(m, program, item_id)
    current = dataclasses.asdict(training_input_of(item))
    data = {
        **current,
        **{
            k: v
            for k, v in payload.model_dump(exclude_unset=True).items()
            if v is not None or k == "starts_at"
        },
    }
    form = _training_form(data)
    services.update_training(item=item, acting_user=m.user, data=form.to_input())
    return training_out(access_training_item(m, program, item_id), None)


@endpoint(
    router.delete,
    "/programs/{program_id}/training/{item_id}",
    Perm.MANAGE_PROGRAMS,
    None,
    status=204,
    summary="Remove a session (a live one's invite is cancelled)",
)
def remove_training(request: HttpRequest, program_id: int = Id(), item_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    item = access_training_item(m, program, item_id)
    services.remove_plan_row(program=program, acting_user=m.user, obj=item)
    return Status(204, None)


@endpoint(
    router.post,
    "/programs/{program_id}/training/{item_id}/complete",
    Perm.SELL,
    Done,
    summary="Mark a self-paced module done (reps, once live)",
)
def complete_module(request: HttpRequest, program_id: int = Id(), item_id: int = Id()) -> Any:
    m = caller(request)
    program = access_live_program(m, program_id)
    item = access_training_item(m, program, item_id)
    created = enablement.complete_module(item=item, user=m.user)
    return {"ok": True, "detail": "Marked as done." if created else "Already done."}


class AttendanceIn(Input):
    member_ids: list[int] = Field(
        min_length=1, max_length=1000, description="Member ids of audience reps who attended."
    )


class AttendanceOut(Schema):
    added: int = Field(description="Attendees newly recorded.")
    ignored_member_ids: list[int] = Field(description="Not reps of the audience you may see.")


@endpoint(
    router.post,
    "/programs/{program_id}/training/{item_id}/attendance",
    Perm.RECORD_ATTENDANCE,
    AttendanceOut,
    summary="Record who attended a live session (a leader: their reps)",
)
def record_attendance(
    request: HttpRequest, payload: AttendanceIn, program_id: int = Id(), item_id: int = Id()
) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    item = access_training_item(m, program, item_id)
    if item.kind != TrainingKind.LIVE:
        raise Http404("No such live session")
    people = {p.pk: p for p in attendance_people(m, program).filter(pk__in=payload.member_ids)}
    added = enablement.mark_attendance(
        item=item,
        users=[p.user for p in people.values()],
        acting_user=m.user,
        source=CompletionSource.ATTENDED,
    )
    ignored = sorted(set(payload.member_ids) - set(people))
    return {"added": added, "ignored_member_ids": ignored}


# --- the knowledge check ----------------------------------------------------------------


class ChoiceOut(Schema):
    id: int
    text: str
    correct: bool | None = Field(description="Only for those who write programs.")


class CheckQuestionOut(Schema):
    id: int
    text: str
    kind: Literal["single", "multiple"]
    explanation: str | None = Field(description="Only for those who write programs.")
    choices: list[ChoiceOut]


class MyCheckStatus(Schema):
    attempts_used: int
    attempts_left: int
    passed: bool
    best_score: int | None
    open_attempt_id: int | None


class CheckOut(Schema):
    title: str
    pass_mark: int = Field(description="Percent of questions right to pass.")
    attempts_allowed: int
    question_count: int
    questions: list[CheckQuestionOut] | None = Field(
        description="With the answer key: only for those who write programs."
    )
    mine: MyCheckStatus | None = Field(description="For reps: your attempts.")


class CheckIn(Input):
    title: str = Field("Knowledge check", min_length=1, max_length=160)
    pass_mark: int = Field(80, ge=1, le=100)
    attempts_allowed: int = Field(3, ge=1, le=10)


class ChoiceIn(Input):
    text: str = Field(min_length=1, max_length=300)
    correct: bool = False


class CheckQuestionIn(Input):
    text: str = Field(min_length=1, max_length=1000)
    kind: Literal["single", "multiple"] = "single"
    explanation: str = Field("", max_length=2000, description="Shown after submission.")
    choices: list[ChoiceIn] = Field(min_length=2, max_length=f.CHOICE_SLOTS)


def _check(program: Program) -> KnowledgeCheck:
    check = KnowledgeCheck.objects.filter(program=program).first()
    if check is None:
        raise Http404("This program has no knowledge check")
    return check


def question_out(q: Any, key: bool) -> dict[str, Any]:
    return {
        "id": q.pk,
        "text": q.text,
        "kind": q.kind,
        "explanation": q.explanation if key else None,
        "choices": [
            {"id": c.pk, "text": c.text, "correct": c.correct if key else None}
            for c in q.choices.all()
        ],
    }


def check_out(check: KnowledgeCheck, request: HttpRequest) -> dict[str, Any]:
    m = caller(request)
    key = can(m, Perm.MANAGE_PROGRAMS)
    questions = list(check.questions.prefetch_related("choices"))
    mine = None
    if can(m, Perm.SELL):
        status = enablement.check_status(check, m.user)
        mine = {
            "attempts_used": status.attempts_used,
            "attempts_left": status.attempts_left,
            "passed": status.passed,
            "best_score": status.best_score,
            "open_attempt_id": status.open_attempt.pk if status.open_attempt else None,
        }
    return {
        "title": check.title,
        "pass_mark": check.pass_mark,
        "attempts_allowed": check.attempts_allowed,
        "question_count": len(questions),
        "questions": [question_out(q, True) for q in questions] if key else None,
        "mine": mine,
    }


@endpoint(
    router.get,
    "/programs/{program_id}/check",
    Perm.READ_BRIEFS,
    CheckOut,
    summary="The knowledge check (the answer key only for those who write programs)",
)
def get_check(request: HttpRequest, program_id: int = Id()) -> Any:
    program = access_program(caller(request), program_id)
    return check_out(_check(program), request)


@endpoint(
    router.put,
    "/programs/{program_id}/check",
    Perm.MANAGE_PROGRAMS,
    CheckOut,
    summary="Create or change the check: title, pass mark, attempts",
)
def put_check(request: HttpRequest, payload: CheckIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    form = bound(f.KnowledgeCheckForm, payload.model_dump())
    check = services.set_knowledge_check(program=program, acting_user=m.user, **form.cleaned_data)
    return check_out(check, request)


@endpoint(
    router.post,
    "/programs/{program_id}/check/questions",
    Perm.MANAGE_PROGRAMS,
    CheckQuestionOut,
    status=201,
    summary="Add a question with its choices",
)
def add_question(request: HttpRequest, payload: CheckQuestionIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    check = _check(program)
    data: dict[str, Any] = {
        "text": payload.text,
        "kind": payload.kind,
        "explanation": payload.explanation,
    }
    for i, choice in enumerate(payload.choices):
        data[f"choice_{i}"] = choice.text
        data[f"correct_{i}"] = choice.correct
    rename = {f"choice_{i}": f"choices.{i}.text" for i in range(f.CHOICE_SLOTS)}
    form = bound(f.CheckQuestionForm, data, rename={**rename, "__all__": "choices"})
    question = services.add_check_question(check=check, acting_user=m.user, data=form.to_input())
    return Status(201, question_out(question, True))


@endpoint(
    router.delete,
    "/programs/{program_id}/check/questions/{question_id}",
    Perm.MANAGE_PROGRAMS,
    None,
    status=204,
    summary="Remove a question",
)
def remove_question(request: HttpRequest, program_id: int = Id(), question_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    question = access_check_question(m, program, question_id)
    services.delete_check_question(question=question, acting_user=m.user)
    return Status(204, None)


class AttemptChoice(Schema):
    id: int
    text: str


class AttemptQuestion(Schema):
    id: int
    text: str
    multiple: bool
    choices: list[AttemptChoice]


class OpenAttemptOut(Schema):
    id: int
    number: int
    started_at: dt.datetime
    questions: list[AttemptQuestion] = Field(description="In this attempt's own order.")


class AttemptIn(Input):
    answers: dict[str, list[int]] = Field(
        description="Question id → the chosen choice ids (every question needs one).",
        examples=[{"12": [40], "13": [44, 45]}],
    )


class GradedQuestion(Schema):
    question_id: int
    text: str
    chosen_choice_ids: list[int]
    correct_choice_ids: list[int]
    is_correct: bool
    explanation: str


class AttemptOut(Schema):
    id: int
    number: int
    started_at: dt.datetime
    submitted_at: dt.datetime | None
    score: int | None
    passed: bool | None
    results: list[GradedQuestion] = Field(description="After submission only.")


def attempt_out(attempt: CheckAttempt) -> dict[str, Any]:
    results = []
    if attempt.submitted_at is not None:
        for r in enablement.grade(attempt):
            results.append(
                {
                    "question_id": r.question.pk,
                    "text": r.question.text,
                    "chosen_choice_ids": [c.pk for c in r.chosen],
                    "correct_choice_ids": [c.pk for c in r.correct_choices],
                    "is_correct": r.is_correct,
                    "explanation": r.question.explanation,
                }
            )
    return {
        "id": attempt.pk,
        "number": attempt.number,
        "started_at": attempt.started_at,
        "submitted_at": attempt.submitted_at,
        "score": attempt.score,
        "passed": attempt.passed,
        "results": results,
    }


@endpoint(
    router.post,
    "/programs/{program_id}/check/attempts",
    Perm.SELL,
    OpenAttemptOut,
    summary="Start an attempt (or continue the open one): the questions, shuffled",
)
def start_attempt(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_live_program(m, program_id)
    attempt = enablement.start_attempt(check=_check(program), user=m.user)
    return {
        "id": attempt.pk,
        "number": attempt.number,
        "started_at": attempt.started_at,
        "questions": attempt_questions(attempt),
    }


@endpoint(
    router.post,
    "/programs/{program_id}/check/attempts/{attempt_id}/answers",
    Perm.SELL,
    AttemptOut,
    summary="Submit your answers: scored on the server",
)
def submit_attempt(
    request: HttpRequest, payload: AttemptIn, program_id: int = Id(), attempt_id: int = Id()
) -> Any:
    m = caller(request)
    program = access_live_program(m, program_id)
    attempt = access_open_attempt(m, program, attempt_id)
    answers: dict[str, list[int]] = {}
    errors = []
    for row in attempt_questions(attempt):
        allowed = {c["id"] for c in row["choices"]}
        picked = [v for v in payload.answers.get(str(row["id"]), []) if v in allowed]
        if not picked or (not row["multiple"] and len(picked) > 1):
            errors.append(
                field_error(
                    f"answers.{row['id']}",
                    "Pick one of this question's choices."
                    if not row["multiple"]
                    else "Pick at least one of this question's choices.",
                )
            )
        answers[str(row["id"])] = picked
    if errors:
        raise invalid(errors, "Answer every question with its own choices.")
    return attempt_out(enablement.submit_attempt(attempt=attempt, answers=answers))


class AttemptList(Schema):
    items: list[AttemptOut]


@endpoint(
    router.get,
    "/programs/{program_id}/check/attempts",
    Perm.SELL,
    AttemptList,
    summary="Your submitted attempts",
)
def list_attempts(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    attempts = CheckAttempt.objects.filter(
        knowledge_check__program=program, user=m.user, submitted_at__isnull=False
    ).select_related("knowledge_check")
    return {"items": [attempt_out(a) for a in attempts]}


@endpoint(
    router.get,
    "/programs/{program_id}/check/attempts/{attempt_id}",
    Perm.SELL,
    AttemptOut,
    summary="One of your submitted attempts, graded",
)
def get_attempt(request: HttpRequest, program_id: int = Id(), attempt_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    return attempt_out(access_attempt(m, program, attempt_id))
