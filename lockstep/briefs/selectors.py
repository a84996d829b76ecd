"""A rep's live programs with what is left to do (the rep home page), in a fixed number of
queries whatever the number of programs."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from lockstep.briefs.services import BriefState
from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.enablement.models import CheckAttempt, TrainingCompletion
from lockstep.orgs.models import Membership
from lockstep.programs.models import CheckQuestion, ProgramStatus, TrainingItem
from lockstep.programs.selectors import visible_programs


def rep_programs(membership: Membership) -> list[dict[str, Any]]:
    user = membership.user
    programs = list(
        visible_programs(membership)
        .filter(status=ProgramStatus.LIVE, archived_at__isnull=True)
        .order_by("launch_date", "name")
    )
    ids = [p.pk for p in programs]
    verbs: dict[int, set[str]] = defaultdict(set)
    events = ActivityEvent.objects.filter(
        program_id__in=ids, actor=user, verb__in=[Verb.BRIEF_OPENED, Verb.BRIEF_ACKNOWLEDGED]
    )
    for program_id, verb in events.values_list("program_id", "verb").distinct():
        if program_id is not None:
            verbs[program_id].add(verb)
    required: dict[int, set[int]] = defaultdict(set)
    items = TrainingItem.objects.filter(program_id__in=ids, required=True)
    for program_id, item_id in items.values_list("program_id", "id"):
        required[program_id].add(item_id)
    done = set(
        TrainingCompletion.objects.filter(user=user, item__program_id__in=ids).values_list(
            "item_id", flat=True
        )
    )
    with_check = set(
        CheckQuestion.objects.filter(knowledge_check__program_id__in=ids).values_list(
            "knowledge_check__program_id", flat=True
        )
    )
    passed = set(
        CheckAttempt.objects.filter(
            knowledge_check__program_id__in=ids, user=user, passed=True
        ).values_list("knowledge_check__program_id", flat=True)
    )
    rows = []
    for program in programs:
        seen = verbs[program.pk]
        state = BriefState(
            acknowledged=Verb.BRIEF_ACKNOWLEDGED in seen, opened=Verb.BRIEF_OPENED in seen
        )
        todo = []
        if not state.acknowledged:
            todo.append("Read the brief and confirm")
        left = len(required[program.pk] - done)
        if left:
            todo.append(f"{left} required training item{'s' if left > 1 else ''} to do")
        if program.pk in with_check and program.pk not in passed:
            todo.append("Pass the knowledge check")
        rows.append({"program": program, "state": state, "todo": todo})
    return rows
