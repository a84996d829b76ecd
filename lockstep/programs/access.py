"""Loading programs and the rows of their plan for a member: scoped by organization, by the
programs the member's role may see, and (for reps' kits) by partner visibility. Missing,
foreign and invisible objects are the same 404."""

from __future__ import annotations

from typing import TypeVar, cast

from django.db import models
from django.http import Http404
from django.utils import timezone

from lockstep.core.permissions import Perm, can
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import TeamTree
from lockstep.programs.models import (
    Asset,
    CheckQuestion,
    PreviewFeedback,
    Program,
    ProgramChild,
    Target,
    TrainingItem,
)
from lockstep.programs.selectors import visible_programs

C = TypeVar("C", bound=ProgramChild)


def access_program(
    membership: Membership,
    program_id: int,
    *,
    for_update: bool = False,
    tree: TeamTree | None = None,
) -> Program:
    """The program if this member may see it (by role and audience), else 404. A page that
    has loaded the team tree passes it (one query less for leaders and reps)."""
    programs = visible_programs(membership, tree).select_related("owner", "override_by", "org")
    if for_update:
        # visible_programs may join the audience: lock the row by its id alone
        visible = programs.filter(pk=program_id).values("pk")
        programs = Program.objects.select_for_update(of=("self",)).filter(pk__in=visible)
        programs = programs.select_related("owner", "override_by", "org")
    program = programs.filter(pk=program_id).first()
    if program is None:
        raise Http404("No such program")
    return program


def _child(model: type[C], program: Program, item_id: int, for_update: bool) -> C:
    rows = cast("models.QuerySet[C]", model._default_manager.filter(program=program))
    if for_update:
        rows = rows.select_for_update()
    item = rows.filter(pk=item_id).first()
    if item is None:
        raise Http404(f"No such {model._meta.verbose_name}")
    return item


def access_asset(
    membership: Membership, program: Program, asset_id: int, *, for_update: bool = False
) -> Asset:
    """An asset of the kit; partner reps reach only partner-visible ones that have not
    expired (`selectors.kit_assets`)."""
    asset = _child(Asset, program, asset_id, for_update)
    if not can(membership, Perm.VIEW_INTERNAL_KIT):
        today = timezone.localdate(timezone=program.org.tzinfo)
        if not asset.partner_visible or asset.is_expired(today):
            raise Http404("No such asset")
    return asset


def access_target(
    membership: Membership, program: Program, target_id: int, *, for_update: bool = False
) -> Target:
    return _child(Target, program, target_id, for_update)


def access_training_item(
    membership: Membership, program: Program, item_id: int, *, for_update: bool = False
) -> TrainingItem:
    return _child(TrainingItem, program, item_id, for_update)


def access_feedback(
    membership: Membership, program: Program, item_id: int, *, for_update: bool = False
) -> PreviewFeedback:
    return _child(PreviewFeedback, program, item_id, for_update)


def access_plan_row(membership: Membership, program: Program, model: type[C], item_id: int) -> C:
    """Any row of the plan by its model (activities, champions, assets, targets, training)."""
    return _child(model, program, item_id, False)


def access_check_question(
    membership: Membership, program: Program, question_id: int, *, for_update: bool = False
) -> CheckQuestion:
    questions = CheckQuestion.objects.filter(knowledge_check__program=program)
    if for_update:
        questions = questions.select_for_update()
    question = questions.filter(pk=question_id).first()
    if question is None:
        raise Http404("No such question")
    return question


def access_live_program(
    membership: Membership, program_id: int, *, for_update: bool = False
) -> Program:
    """A program the member may see that is live: training, the check and the pulse open
    at launch (before and after, the same 404 as a program that does not exist)."""
    program = access_program(membership, program_id, for_update=for_update)
    if program.status != "live":
        raise Http404("This opens at launch")
    return program
