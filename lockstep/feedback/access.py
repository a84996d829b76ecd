"""Loading rep questions for a member: within a program the member may see, else 404."""

from __future__ import annotations

from django.http import Http404

from lockstep.feedback.models import RepQuestion
from lockstep.orgs.models import Membership
from lockstep.programs.models import Program


def access_question(
    membership: Membership, program: Program, question_id: int, *, for_update: bool = False
) -> RepQuestion:
    questions = RepQuestion.objects.filter(program=program).select_related("program", "asked_by")
    if for_update:
        questions = questions.select_for_update(of=("self",))
    question = questions.filter(pk=question_id).first()
    if question is None:
        raise Http404("No such question")
    return question
