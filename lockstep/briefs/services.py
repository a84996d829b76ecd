"""What a rep does with a brief: open it (recorded each time) and confirm they read it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from lockstep.accounts.models import User
from lockstep.core.errors import Conflict
from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.core.services import emit_event
from lockstep.enablement.models import Certification
from lockstep.programs.models import Program, ProgramStatus


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


def rep_facts(program: Program, user: User) -> RepFacts:
    """The rep's brief state and certification, in one query."""
    mine = ActivityEvent.objects.filter(program_id=OuterRef("pk"), actor=user)
    row = (
        Program.objects.filter(pk=program.pk)
        .values("pk")
        .annotate(
            opened=Exists(mine.filter(verb=Verb.BRIEF_OPENED)),
            acknowledged=Exists(mine.filter(verb=Verb.BRIEF_ACKNOWLEDGED)),
            certified=Exists(Certification.objects.filter(program_id=OuterRef("pk"), user=user)),
        )
        .get()
    )
    return RepFacts(
        brief=BriefState(acknowledged=row["acknowledged"], opened=row["opened"]),
        certified=row["certified"],
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
