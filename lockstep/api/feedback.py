"""The buy-in pulse (anonymity kept: an anonymous pulse never shows a person's answer and
hides groups under five) and reps' questions, marketing's answers and the FAQ."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from lockstep.api.auth import caller
from lockstep.api.common import (
    Id,
    bound,
    cursor_param,
    endpoint,
    limit_param,
    next_cursor_field,
    page,
    query,
)
from lockstep.api.schemas import Done, Input, PersonOut, person
from lockstep.core.permissions import Perm
from lockstep.feedback import forms as ff
from lockstep.feedback import services as feedback
from lockstep.feedback.access import access_question
from lockstep.feedback.models import MIN_GROUP, RepQuestion
from lockstep.feedback.selectors import open_pulse_round, pulse_results
from lockstep.programs.access import access_program
from lockstep.programs.models import Program
from lockstep.programs.selectors import round_opens_on

router = Router(tags=["pulse and questions"])

Score = int


class Averages(Schema):
    understand: float | None
    helps: float | None
    next_steps: float | None


class PulseGroupOut(Schema):
    team: str
    answers: int
    averages: Averages
    hidden: bool = Field(description=f"An anonymous pulse hides groups under {MIN_GROUP}.")


class PulseAnswerOut(Schema):
    user: PersonOut
    team_id: int | None
    understand: int
    helps: int
    next_steps: int
    comment: str
    updated_at: dt.datetime


class RoundOut(Schema):
    id: int
    day_offset: int = Field(description="Days after launch; 0 at launch.")
    opens_on: dt.date | None


class PulseOut(Schema):
    anonymous: bool
    rounds: list[RoundOut]
    round_id: int | None
    answers: int
    overall: Averages | None
    groups: list[PulseGroupOut]
    individual: list[PulseAnswerOut] = Field(description="Never for an anonymous pulse.")
    comments: list[str] = Field(description="Anonymous pulses with enough answers: unsigned.")


@endpoint(
    router.get,
    "/programs/{program_id}/pulse",
    Perm.VIEW_INSIGHTS,
    PulseOut,
    summary="Pulse results for a round (the latest unless round_id is given)",
)
def get_pulse(
    request: HttpRequest,
    program_id: int = Id(),
    round_id: int | None = query(None, ge=1, le=2**63 - 1),
) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    rounds = list(program.pulse_rounds.all())
    chosen = rounds[-1] if rounds else None
    if round_id is not None:
        chosen = next((r for r in rounds if r.pk == round_id), None)
        if chosen is None:
            raise Http404("No such round")
    out: dict[str, Any] = {
        "anonymous": program.pulse_anonymous,
        "rounds": [
            {"id": r.pk, "day_offset": r.day_offset, "opens_on": round_opens_on(r, program)}
            for r in rounds
        ],
        "round_id": chosen.pk if chosen else None,
        "answers": 0,
        "overall": None,
        "groups": [],
        "individual": [],
        "comments": [],
    }
    if chosen is None:
        return out
    summary = pulse_results(m, program, chosen)
    out.update(
        answers=summary["answers"],
        overall=summary["overall"],
        groups=[
            {"team": g.label, "answers": g.answers, "averages": g.averages, "hidden": g.hidden}
            for g in summary["groups"]
        ],
        individual=[]
        if program.pulse_anonymous
        else [
            {
                "user": person(r.user),
                "team_id": r.team_id,
                "understand": r.understand,
                "helps": r.helps,
                "next_steps": r.next_steps,
                "comment": r.comment,
                "updated_at": r.updated_at,
            }
            for r in summary["individual"]
        ],
        comments=list(summary["comments"]),
    )
    return out


class PulseSettingsIn(Input):
    anonymous: bool | None = Field(
        None, description="Switch anonymity on; off only while nobody has answered."
    )
    day_offset: int | None = Field(None, ge=0, le=365, description="Add a round on this day.")


@endpoint(
    router.patch,
    "/programs/{program_id}/pulse",
    Perm.MANAGE_PROGRAMS,
    PulseOut,
    summary="Anonymity and extra rounds",
)
def patch_pulse(request: HttpRequest, payload: PulseSettingsIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    anonymous = program.pulse_anonymous if payload.anonymous is None else payload.anonymous
    form = bound(ff.PulseSettingsForm, {"anonymous": anonymous, "day_offset": payload.day_offset})
    feedback.change_pulse_settings(
        program=program,
        acting_user=m.user,
        anonymous=form.cleaned_data["anonymous"],
        day_offset=form.cleaned_data["day_offset"],
    )
    return get_pulse.__wrapped__(request, program_id=program_id, round_id=None)  # type: ignore[attr-defined]


class PulseIn(Input):
    understand: int = Field(ge=1, le=5, description="I understand this program.")
    helps: int = Field(ge=1, le=5, description="It will help me hit my number.")
    next_steps: int = Field(ge=1, le=5, description="I know what to do next.")
    comment: str = Field("", max_length=2000)


@endpoint(
    router.post,
    "/programs/{program_id}/pulse/answers",
    Perm.SELL,
    Done,
    summary="Answer the open pulse round (a second answer replaces the first)",
)
def answer_pulse(request: HttpRequest, payload: PulseIn, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    pulse_round = open_pulse_round(program)
    form = bound(ff.PulseForm, payload.model_dump())
    data = dict(form.cleaned_data)
    comment = data.pop("comment")
    feedback.answer_pulse(pulse_round=pulse_round, membership=m, scores=data, comment=comment)
    return {"ok": True, "detail": "Recorded. You can change it until the next round."}


# --- questions --------------------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    body: str
    asked_by: PersonOut | None
    created_at: dt.datetime
    answer: str
    answered_by: PersonOut | None
    answered_at: dt.datetime | None
    in_faq: bool
    faq_question: str
    faq_answer: str


class QuestionPage(Schema):
    items: list[QuestionOut]
    next_cursor: str | None = next_cursor_field()


def question_out(q: RepQuestion) -> dict[str, Any]:
    return {
        "id": q.pk,
        "body": q.body,
        "asked_by": person(q.asked_by),
        "created_at": q.created_at,
        "answer": q.answer,
        "answered_by": person(q.answered_by),
        "answered_at": q.answered_at,
        "in_faq": q.in_faq,
        "faq_question": q.faq_question,
        "faq_answer": q.faq_answer,
    }


def _questions(program: Program) -> Any:
    return program.questions.select_related("asked_by", "answered_by")


@endpoint(
    router.get,
    "/programs/{program_id}/questions",
    Perm.MANAGE_PROGRAMS,
    QuestionPage,
    summary="The questions inbox",
)
def list_questions(
    request: HttpRequest,
    program_id: int = Id(),
    state: Literal["open", "answered"] | None = query(None),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    program = access_program(caller(request), program_id)
    rows = _questions(program)
    if state:
        rows = rows.filter(answered_at__isnull=state == "open")
    return page(rows, cursor, limit, question_out)


@endpoint(
    router.get,
    "/programs/{program_id}/questions/mine",
    Perm.SELL,
    QuestionPage,
    summary="The questions you asked",
)
def my_questions(
    request: HttpRequest,
    program_id: int = Id(),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    return page(_questions(program).filter(asked_by=m.user), cursor, limit, question_out)


class AskIn(Input):
    body: str = Field(min_length=1, max_length=2000)


@endpoint(
    router.post,
    "/programs/{program_id}/questions",
    Perm.SELL,
    QuestionOut,
    status=201,
    summary="Ask marketing a question (reps, live programs)",
)
def ask(request: HttpRequest, payload: AskIn, program_id: int = Id()) -> Any:
    from lockstep.programs.forms import TextForm

    m = caller(request)
    program = access_program(m, program_id)
    form = bound(TextForm, {"body": payload.body})
    question = feedback.ask_question(program=program, user=m.user, body=form.cleaned_data["body"])
    return Status(201, question_out(question))


class AnswerIn(Input):
    answer: str = Field(min_length=1, max_length=5000)


@endpoint(
    router.post,
    "/programs/{program_id}/questions/{question_id}/answer",
    Perm.MANAGE_PROGRAMS,
    QuestionOut,
    summary="Answer a question (the rep is told)",
)
def answer(
    request: HttpRequest, payload: AnswerIn, program_id: int = Id(), question_id: int = Id()
) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    question = access_question(m, program, question_id)
    form = bound(ff.AnswerForm, {"answer": payload.answer})
    feedback.answer_question(
        question=question, acting_user=m.user, answer=form.cleaned_data["answer"]
    )
    return question_out(access_question(m, program, question_id))


class FaqIn(Input):
    faq_question: str = Field(min_length=1, max_length=2000)
    faq_answer: str = Field(min_length=1, max_length=5000)


@endpoint(
    router.put,
    "/programs/{program_id}/questions/{question_id}/faq",
    Perm.MANAGE_PROGRAMS,
    QuestionOut,
    summary="Put an answered question in the FAQ, reworded for every rep",
)
def promote(
    request: HttpRequest, payload: FaqIn, program_id: int = Id(), question_id: int = Id()
) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    question = access_question(m, program, question_id)
    form = bound(ff.FaqForm, payload.model_dump())
    feedback.promote_to_faq(question=question, acting_user=m.user, **form.cleaned_data)
    return question_out(access_question(m, program, question_id))


@endpoint(
    router.delete,
    "/programs/{program_id}/questions/{question_id}/faq",
    Perm.MANAGE_PROGRAMS,
    QuestionOut,
    summary="Take a question out of the FAQ",
)
def unpromote(request: HttpRequest, program_id: int = Id(), question_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    question = access_question(m, program, question_id)
    feedback.remove_from_faq(question=question, acting_user=m.user)
    return question_out(access_question(m, program, question_id))


class FaqOut(Schema):
    question: str
    answer: str


class FaqList(Schema):
    items: list[FaqOut]


@endpoint(
    router.get, "/programs/{program_id}/faq", Perm.READ_BRIEFS, FaqList, summary="The program's FAQ"
)
def faq(request: HttpRequest, program_id: int = Id()) -> Any:
    program = access_program(caller(request), program_id)
    rows = program.questions.filter(in_faq=True).order_by("-answered_at")
    return {"items": [{"question": q.faq_question, "answer": q.faq_answer} for q in rows]}
