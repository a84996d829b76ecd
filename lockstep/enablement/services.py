"""Training completion, knowledge checks (building, taking, scoring) and certification."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone

from lockstep.accounts.models import User
from lockstep.core.errors import Conflict
from lockstep.core.events import Action, Verb
from lockstep.core.services import emit_event, record_audit
from lockstep.enablement.models import (
    Certification,
    CheckAttempt,
    CompletionSource,
    TrainingCompletion,
)
from lockstep.programs.models import (
    CheckChoice,
    CheckQuestion,
    KnowledgeCheck,
    Program,
    TrainingItem,
    TrainingKind,
)
from lockstep.programs.selectors import has_real_check


class EnablementError(Conflict):
    """A rule refused the action; the message says why in plain words."""


# --- training -----------------------------------------------------------------------------


def _complete(item: TrainingItem, user: User, source: str, recorded_by: User | None) -> bool:
    """Record one completion; False when it was already recorded (idempotent)."""
    try:
        with transaction.atomic():
            TrainingCompletion.objects.create(
                org=item.org, item=item, user=user, source=source, recorded_by=recorded_by
            )
    except IntegrityError:
        return False
    verb = Verb.TRAINING_COMPLETED if source == CompletionSource.SELF else Verb.TRAINING_ATTENDED
    emit_event(
        org=item.org, actor=user, verb=verb, program_id=item.program_id, obj=item,
        payload={"source": source},
    )  # fmt: skip
    return True


@transaction.atomic
def complete_module(*, item: TrainingItem, user: User) -> bool:
    if item.kind != TrainingKind.SELF_PACED:
        raise EnablementError(
            "Attendance at a live session is recorded by marketing or your leader."
        )
    created = _complete(item, user, CompletionSource.SELF, None)
    update_certification(program=item.program, user=user)
    return created


def has_started(item: TrainingItem) -> bool:
    return item.starts_at is not None and item.starts_at <= timezone.now()


def ensure_started(item: TrainingItem) -> None:
    """Nobody attended a session that has not begun (nor could a certificate that counts
    it be dated before it)."""
    if item.starts_at is None:
        raise EnablementError(
            f"“{item.title}” has no date yet: attendance can be recorded once it has started."
        )
    if not has_started(item):
        when = dateformat.format(
            timezone.localtime(item.starts_at, item.org.tzinfo), "l j F Y, H:i T"
        )
        raise EnablementError(
            f"“{item.title}” starts on {when}: attendance can be recorded once it has started."
        )


@transaction.atomic
def mark_attendance(
    *, item: TrainingItem, users: Iterable[User], acting_user: User, source: str
) -> int:
    """Mark people as having attended a live session that has started; returns how many
    were new."""
    ensure_started(item)
    added = 0
    for user in users:
        if _complete(item, user, source, acting_user):
            added += 1
            update_certification(program=item.program, user=user)
    if added:  # nothing new: nothing to audit
        record_audit(
            org=item.org, acting_user=acting_user, action=Action.ATTENDANCE_RECORDED, obj=item,
            changes={"attendees_added": [None, added]},
        )  # fmt: skip
    return added


# --- taking it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckStatus:
    attempts_used: int
    attempts_left: int
    passed: bool
    best_score: int | None
    open_attempt: CheckAttempt | None


def check_status(check: KnowledgeCheck, user: User) -> CheckStatus:
    attempts = list(CheckAttempt.objects.filter(knowledge_check=check, user=user))
    submitted = [a for a in attempts if a.submitted_at is not None]
    open_attempt = next((a for a in attempts if a.submitted_at is None), None)
    scores = [a.score for a in submitted if a.score is not None]
    return CheckStatus(
        attempts_used=len(submitted),
        attempts_left=max(check.attempts_allowed - len(submitted), 0),
        passed=any(a.passed for a in submitted),
        best_score=max(scores) if scores else None,
        open_attempt=open_attempt,
    )


def _shuffled(ids: list[int]) -> list[int]:
    ids = list(ids)
    secrets.SystemRandom().shuffle(ids)
    return ids


@transaction.atomic
def start_attempt(*, check: KnowledgeCheck, user: User) -> CheckAttempt:
    """Continue the open attempt, or start a new one with a fresh random order."""
    status = check_status(check, user)
    if status.open_attempt is not None:
        return status.open_attempt
    if status.passed:
        raise EnablementError("You already passed this check.")
    if status.attempts_left <= 0:
        raise EnablementError(
            f"You have used all {check.attempts_allowed} attempts. Ask marketing for help."
        )
    questions = list(check.questions.prefetch_related("choices"))
    if not questions:
        raise EnablementError("This check has no questions yet.")
    order = {
        "questions": _shuffled([q.pk for q in questions]),
        "choices": {str(q.pk): _shuffled([c.pk for c in q.choices.all()]) for q in questions},
    }
    return CheckAttempt.objects.create(
        org=check.org, knowledge_check=check, user=user, number=status.attempts_used + 1,
        order=order,
    )  # fmt: skip


@dataclass(frozen=True)
class QuestionResult:
    question: CheckQuestion
    chosen: list[CheckChoice]
    correct_choices: list[CheckChoice]
    is_correct: bool


def grade(attempt: CheckAttempt) -> list[QuestionResult]:
    """Per question: what was chosen, what was right (only ever shown after submission)."""
    questions = {
        q.pk: q
        for q in CheckQuestion.objects.filter(
            knowledge_check=attempt.knowledge_check
        ).prefetch_related("choices")
    }
    results = []
    for qid in attempt.order.get("questions", []):
        question = questions.get(qid)
        if question is None:
            continue  # removed after the attempt started: not counted
        choices = list(question.choices.all())
        chosen_ids = set(attempt.answers.get(str(qid), []))
        correct = [c for c in choices if c.correct]
        results.append(
            QuestionResult(
                question=question,
                chosen=[c for c in choices if c.pk in chosen_ids],
                correct_choices=correct,
                is_correct=chosen_ids == {c.pk for c in correct},
            )
        )
    return results


@transaction.atomic
def submit_attempt(*, attempt: CheckAttempt, answers: dict[str, list[int]]) -> CheckAttempt:
    attempt = CheckAttempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.submitted_at is not None:
        raise EnablementError("This attempt was already submitted.")
    attempt.answers = answers
    results = grade(attempt)
    right = sum(1 for r in results if r.is_correct)
    attempt.score = round(100 * right / len(results)) if results else 0
    attempt.passed = attempt.score >= attempt.knowledge_check.pass_mark
    attempt.submitted_at = timezone.now()
    attempt.save()
    check = attempt.knowledge_check
    payload = {"score": attempt.score, "attempt": attempt.number}
    emit_event(
        org=attempt.org, actor=attempt.user, verb=Verb.CHECK_ATTEMPTED,
        program_id=check.program_id, obj=attempt, payload=payload,
    )  # fmt: skip
    if attempt.passed:
        emit_event(
            org=attempt.org, actor=attempt.user, verb=Verb.CHECK_PASSED,
            program_id=check.program_id, obj=attempt, payload=payload,
        )  # fmt: skip
        update_certification(program=check.program, user=attempt.user)
    return attempt


# --- certification ------------------------------------------------------------------------


def requirements_met(program: Program, user: User) -> bool:
    required = set(program.training.filter(required=True).values_list("id", flat=True))
    done = set(
        TrainingCompletion.objects.filter(item__program=program, user=user).values_list(
            "item_id", flat=True
        )
    )
    if required - done:
        return False
    if has_real_check(program):
        return CheckAttempt.objects.filter(
            knowledge_check__program=program, user=user, passed=True
        ).exists()
    return bool(required)  # nothing required and no real check: nothing to certify


@transaction.atomic
def update_certification(*, program: Program, user: User) -> Certification | None:
    """Certify the rep once every required item is done and the check is passed."""
    existing = Certification.objects.filter(program=program, user=user).first()
    if existing is not None or not requirements_met(program, user):
        return existing
    certification = Certification.objects.create(org=program.org, program=program, user=user)
    emit_event(org=program.org, actor=user, verb=Verb.PROGRAM_CERTIFIED, program_id=program.pk)
    return certification
