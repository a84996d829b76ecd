"""Loading a rep's own check attempts: within a program the member may see, else 404."""

from __future__ import annotations

from django.http import Http404

from lockstep.enablement.models import CheckAttempt
from lockstep.orgs.models import Membership
from lockstep.programs.models import Program


def access_attempt(
    membership: Membership, program: Program, attempt_id: int, *, for_update: bool = False
) -> CheckAttempt:
    """A submitted attempt of the member's own (nobody reads another rep's answers)."""
    attempts = CheckAttempt.objects.filter(
        knowledge_check__program=program, user=membership.user, submitted_at__isnull=False
    ).select_related("knowledge_check")
    if for_update:
        attempts = attempts.select_for_update(of=("self",))
    attempt = attempts.filter(pk=attempt_id).first()
    if attempt is None:
        raise Http404("No such attempt")
    return attempt


def access_open_attempt(
    membership: Membership, program: Program, attempt_id: int, *, for_update: bool = False
) -> CheckAttempt:
    """The member's own attempt that is started and not yet submitted."""
    attempts = CheckAttempt.objects.filter(
        knowledge_check__program=program, user=membership.user, submitted_at__isnull=True
    ).select_related("knowledge_check")
    if for_update:
        attempts = attempts.select_for_update(of=("self",))
    attempt = attempts.filter(pk=attempt_id).first()
    if attempt is None:
        raise Http404("No such open attempt")
    return attempt
