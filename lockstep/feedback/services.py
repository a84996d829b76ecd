"""Pulse surveys and the questions inbox."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from statistics import median
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Avg, Count
from django.urls import reverse
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.errors import Conflict, DomainError
from lockstep.core.events import Action, Verb
from lockstep.core.services import emit_event, record_audit
from lockstep.feedback.models import MIN_GROUP, PULSE_STATEMENTS, PulseResponse, RepQuestion
from lockstep.orgs.models import Membership
from lockstep.orgs.notify import notify
from lockstep.programs import services as programs
from lockstep.programs.models import Program, ProgramStatus, PulseRound


class FeedbackError(DomainError):
    pass


# --- pulse --------------------------------------------------------------------------------


class PulseAnonymityLocked(Conflict):
    pass


@transaction.atomic
def change_pulse_settings(
    *, program: Program, acting_user: User, anonymous: bool, day_offset: int | None
) -> None:
    """Anonymity may be switched on at any time, and off only while nobody has answered:
    answers given under anonymity stay anonymous for good (PRODUCT.md)."""
    program = Program.objects.select_for_update().select_related("org").get(pk=program.pk)
    if program.pulse_anonymous and not anonymous:
        if PulseResponse.objects.filter(program=program).exists():
            raise PulseAnonymityLocked(
                "This pulse already has answers given anonymously: it stays anonymous."
            )
    programs.set_pulse_anonymous(program=program, acting_user=acting_user, anonymous=anonymous)
    if day_offset is not None:
        programs.add_pulse_round(program=program, acting_user=acting_user, day_offset=day_offset)


def answer_pulse(
    *, pulse_round: PulseRound, membership: Membership, scores: dict[str, int], comment: str
) -> PulseResponse:
    """One answer per rep per round: a second submission updates the first. Two requests
    at once still leave one row (the unique constraint decides; the loser updates)."""
    values = {**scores, "comment": comment, "team": membership.team, "updated_at": timezone.now()}
    create = {**values, "org": pulse_round.org, "program": pulse_round.program}
    for attempt in range(8):
        try:
            with transaction.atomic():
                response, _ = PulseResponse.objects.update_or_create(
                    round=pulse_round, user=membership.user, defaults=values, create_defaults=create
                )
                emit_event(
                    org=pulse_round.org, actor=membership.user, verb=Verb.PULSE_ANSWERED,
                    program_id=pulse_round.program_id, obj=response,
                    payload={"average": round(response.average, 2), "round": pulse_round.day_offset},  # noqa: E501
                )  # fmt: skip
            break
        except IntegrityError:
            continue  # the other request created the row first: update it on the retry
        except OperationalError as exc:
            # SQLite without a busy timeout (shared-cache memory databases) refuses at once
            # instead of waiting: wait a little and retry rather than lose the answer.
            if "locked" not in str(exc):
                raise
            time.sleep(0.05 * (attempt + 1))
    else:
        raise FeedbackError("Your answer could not be saved, please try again.")
    return response


@dataclass(frozen=True)
class PulseGroup:
    label: str
    answers: int
    averages: dict[str, float | None]
    hidden: bool  # too few answers to show, for an anonymous pulse


def pulse_summary(program: Program, pulse_round: PulseRound) -> dict[str, Any]:
    """Averages overall and per team; an anonymous pulse hides teams under MIN_GROUP."""
    responses = PulseResponse.objects.filter(round=pulse_round)
    aggregates = {f"avg_{f}": Avg(f) for f in PULSE_STATEMENTS}
    overall = responses.aggregate(n=Count("id"), **aggregates)
    groups = []
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in responses.values("team__name")
        .annotate(n=Count("id"), **aggregates)
        .order_by("team__name")
    ]
    for row in rows:
        hidden = program.pulse_anonymous and row["n"] < MIN_GROUP
        averages = {f: (None if hidden else row[f"avg_{f}"]) for f in PULSE_STATEMENTS}
        groups.append(PulseGroup(row["team__name"] or "No team", row["n"], averages, hidden))
    hide_all = program.pulse_anonymous and overall["n"] < MIN_GROUP
    return {
        "round": pulse_round,
        "answers": overall["n"],
        "overall": {f: (None if hide_all else overall[f"avg_{f}"]) for f in PULSE_STATEMENTS},
        "groups": groups,
        "individual": []
        if program.pulse_anonymous
        else responses.select_related("user", "team").order_by("-updated_at")[:200],
        "comments": [
            c for c in responses.exclude(comment="").values_list("comment", flat=True)[:50]
        ]
        if program.pulse_anonymous and overall["n"] >= MIN_GROUP
        else [],
    }


# --- questions ----------------------------------------------------------------------------


@transaction.atomic
def ask_question(*, program: Program, user: User, body: str) -> RepQuestion:
    if program.status != ProgramStatus.LIVE:
        raise Conflict("Questions open at launch.")
    question = RepQuestion.objects.create(
        org=program.org, program=program, asked_by=user, body=body
    )
    emit_event(
        org=program.org, actor=user, verb=Verb.QUESTION_ASKED, program_id=program.pk, obj=question
    )
    return question


@transaction.atomic
def answer_question(*, question: RepQuestion, acting_user: User, answer: str) -> None:
    first = question.answered_at is None
    question.answer = answer
    question.answered_by = acting_user
    question.answered_at = question.answered_at or timezone.now()
    question.save()
    record_audit(
        org=question.org, acting_user=acting_user, action=Action.QUESTION_ANSWERED, obj=question
    )
    emit_event(
        org=question.org, actor=acting_user, verb=Verb.QUESTION_ANSWERED,
        program_id=question.program_id, obj=question, payload={"first_answer": first},
    )  # fmt: skip
    if question.asked_by is not None:
        url = reverse("briefs:brief", args=[question.org.slug, question.program_id])
        notify(
            org=question.org,
            user=question.asked_by,
            kind="question.answered",
            title=f"Your question on “{question.program.name}” was answered",
            body=f"You asked: {question.body}\n\nAnswer: {answer}",
            url=url,
            # one e-mail per distinct answer: a retried task never sends the same one twice
            key=f"question-answered:{question.pk}:{hashlib.sha256(answer.encode()).hexdigest()[:16]}",
        )


@transaction.atomic
def promote_to_faq(
    *, question: RepQuestion, acting_user: User, faq_question: str, faq_answer: str
) -> None:
    if question.answered_at is None:
        raise Conflict("Answer the question before adding it to the FAQ.")
    question.in_faq = True
    question.faq_question = faq_question
    question.faq_answer = faq_answer
    question.save()
    record_audit(
        org=question.org, acting_user=acting_user, action=Action.QUESTION_ADDED_TO_FAQ, obj=question
    )


@transaction.atomic
def remove_from_faq(*, question: RepQuestion, acting_user: User) -> None:
    question.in_faq = False
    question.save(update_fields=["in_faq"])
    record_audit(
        org=question.org,
        acting_user=acting_user,
        action=Action.QUESTION_REMOVED_FROM_FAQ,
        obj=question,
    )


def answer_times(program: Program) -> dict[str, Any]:
    """Time to first answer: median over answered questions, and the oldest still open."""
    answered = [
        (q.answered_at - q.created_at).total_seconds()
        for q in program.questions.filter(answered_at__isnull=False).only(
            "created_at", "answered_at"
        )
        if q.answered_at
    ]
    oldest = program.questions.filter(answered_at__isnull=True).order_by("created_at").first()
    return {
        "median_hours": round(median(answered) / 3600, 1) if answered else None,
        "answered": len(answered),
        "open": program.questions.filter(answered_at__isnull=True).count(),
        "oldest_open": oldest,
    }
