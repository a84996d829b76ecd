"""Reading activity events for a member (the API's event feed)."""

from __future__ import annotations

from django.db.models import QuerySet

from lockstep.core.models import ActivityEvent
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import reps_in_teams, team_scope
from lockstep.programs.models import Program
from lockstep.programs.selectors import visible_programs


def visible_events(membership: Membership) -> tuple[QuerySet[ActivityEvent], set[int]]:
    """The organization's events a member may read — everything for owners, marketers and
    viewers; for a sales leader, what the people of their teams did in the programs they
    see — and the ids of programs whose pulse is anonymous: a reader must not learn who
    gave a pulse answer there (PRODUCT.md: anonymous means anonymous everywhere)."""
    events = ActivityEvent.objects.for_org(membership.org)
    scope = team_scope(membership)
    if scope is not None:
        people = reps_in_teams(membership.org, scope).values("user_id")
        programs = visible_programs(membership).values("pk")
        events = events.filter(actor_id__in=people, program_id__in=programs)
    anonymous = set(
        Program.objects.for_org(membership.org)
        .filter(pulse_anonymous=True)
        .values_list("pk", flat=True)
    )
    return events, anonymous
