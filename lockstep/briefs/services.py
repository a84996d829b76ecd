"""What a rep does with a brief: open it (recorded each time) and confirm they read it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

from lockstep.accounts.models import User
from lockstep.core.errors import Conflict
from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.core.services import emit_event
from lockstep.enablement.models import Certification, CheckAttempt
from lockstep.programs.models import KnowledgeCheck, Program, ProgramStatus
from lockstep.programs.selectors import CHECK_VALUES, check_of, check_question_count


@dataclass(frozen=True)
class BriefState:
    acknowledged: bool
    opened: bool


def brief_state(program: Program, user: User) -> BriefState:
    verbs = set(
        program.events.filter(actor=user, verb__in=[Verb.BRIEF_OPENED, Verb.BRIEF_ACKNOWLEDGED])
        .values_list("verb", flat=True)
        .distinct()
    )
    return BriefState(
        acknowledged=Verb.BRIEF_ACKNOWLEDGED in verbs, opened=Verb.BRIEF_OPENED in verbs
    )


@dataclass(frozen=True)
class RepFacts:
    """What the brief shows about the rep themself."""

    brief: BriefState
    certified: bool
    # the program's knowledge check (None when it has none) and its number of questions
    check: KnowledgeCheck | None = None
    check_questions: int = 0
    # the rep's attempts at it: submitted, passed, best score, one still open
    attempts_used: int = 0
    passed: bool = False
    best_score: int | None = None
    attempt_open: bool = False


def rep_facts(program: Program, user: User) -> RepFacts:
    """The rep's brief state and certification, and the program's knowledge check with its
    number of questions, in one query."""
    mine = ActivityEvent.objects.filter(program_id=OuterRef("pk"), actor=user)
    attempts = CheckAttempt.objects.filter(knowledge_check__program_id=OuterRef("pk"), user=user)
    submitted = attempts.filter(submitted_at__isnull=False).order_by()
    row = (
        Program.objects.filter(pk=program.pk)
        .values("pk", *CHECK_VALUES, n_questions=check_question_count())
        .annotate(
            opened=Exists(mine.filter(verb=Verb.BRIEF_OPENED)),
            acknowledged=Exists(mine.filter(verb=Verb.BRIEF_ACKNOWLEDGED)),
            certified=Exists(Certification.objects.filter(program_id=OuterRef("pk"), user=user)),
            attempts_used=Coalesce(
                Subquery(submitted.values("user_id").annotate(n=Count("id")).values("n")), 0
            ),
            best_score=Subquery(submitted.values("user_id").annotate(m=Max("score")).values("m")),
            passed=Exists(submitted.filter(passed=True)),
            attempt_open=Exists(attempts.filter(submitted_at__isnull=True)),
        )
        .get()
    )
    check = check_of(program, row)
    return RepFacts(
        brief=BriefState(acknowledged=row["acknowledged"], opened=row["opened"]),
        certified=row["certified"],
        check=check,
        check_questions=row["n_questions"] if check else 0,
        attempts_used=row["attempts_used"],
        passed=row["passed"],
        best_score=row["best_score"],
        attempt_open=row["attempt_open"],
    )


def open_brief(*, program: Program, user: User) -> None:
    emit_event(org=program.org, actor=user, verb=Verb.BRIEF_OPENED, program_id=program.pk)


@transaction.atomic
def acknowledge_brief(*, program: Program, user: User) -> bool:
    """Record "I've read it" once; returns False if it was already recorded."""
    if program.status != ProgramStatus.LIVE:
        raise Conflict("Only a live program's brief is acknowledged.")
    if brief_state(program, user).acknowledged:
        return False
    emit_event(org=program.org, actor=user, verb=Verb.BRIEF_ACKNOWLEDGED, program_id=program.pk)
    return True
