"""A rep's live programs with what is left to do (the rep home page)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from lockstep.briefs.services import brief_state
from lockstep.enablement.models import TrainingCompletion
from lockstep.enablement.services import check_status
from lockstep.orgs.models import Membership
from lockstep.programs.models import KnowledgeCheck, ProgramStatus
from lockstep.programs.selectors import has_real_check, visible_programs


def rep_programs(membership: Membership) -> list[dict[str, Any]]:
    programs = (
        visible_programs(membership)
        .filter(status=ProgramStatus.LIVE, archived_at__isnull=True)
        .annotate(required_items=Count("training", filter=Q(training__required=True)))
        .order_by("launch_date")
    )
    done = set(
        TrainingCompletion.objects.filter(
            user=membership.user, item__program__in=programs
        ).values_list("item_id", flat=True)
    )
    rows = []
    for program in programs:
        state = brief_state(program, membership.user)
        todo = []
        if not state.acknowledged:
            todo.append("Read the brief and confirm")
        left = [t for t in program.training.all() if t.required and t.pk not in done]
        if left:
            todo.append(f"{len(left)} required training item{'s' if len(left) > 1 else ''} to do")
        check = KnowledgeCheck.objects.filter(program=program).first()
        if check is not None and has_real_check(program):
            if not check_status(check, membership.user).passed:
                todo.append("Pass the knowledge check")
        rows.append({"program": program, "state": state, "todo": todo})
    return rows
