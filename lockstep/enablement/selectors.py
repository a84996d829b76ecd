"""Reading training and checks for a member: an attempt's questions as the rep sees them,
and the people whose attendance a member may record."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from lockstep.enablement.models import CheckAttempt
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import team_scope
from lockstep.programs.models import CheckQuestion, Program
from lockstep.programs.selectors import audience_reps


def attempt_questions(attempt: CheckAttempt) -> list[dict[str, Any]]:
    """The attempt's questions and choices in its own shuffled order, without any hint of
    which choices are right (questions removed since it started are left out)."""
    questions = {
        q.pk: q
        for q in CheckQuestion.objects.filter(
            knowledge_check=attempt.knowledge_check
        ).prefetch_related("choices")
    }
    rows = []
    for qid in attempt.order.get("questions", []):
        question = questions.get(qid)
        if question is None:
            continue
        by_id = {c.pk: c for c in question.choices.all()}
        order = attempt.order.get("choices", {}).get(str(qid), [])
        rows.append(
            {
                "id": question.pk,
                "text": question.text,
                "multiple": question.kind == "multiple",
                "choices": [{"id": cid, "text": by_id[cid].text} for cid in order if cid in by_id],
            }
        )
    return rows


def attendance_people(membership: Membership, program: Program) -> QuerySet[Membership]:
    """The audience reps whose attendance this member records: all of them for marketing,
    a leader's own teams' reps."""
    reps = (
        audience_reps(program)
        .select_related("user", "team")
        .order_by("team__name", "user__last_name")
    )
    scope = team_scope(membership)
    return reps if scope is None else reps.filter(team_id__in=scope)
