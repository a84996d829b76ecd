"""Reading the pulse for a member: the round reps answer now, and results scoped to the
teams the member sees (anonymity is kept by `services.pulse_summary`)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from lockstep.feedback.services import pulse_summary
from lockstep.orgs.models import Membership, Team
from lockstep.orgs.selectors import team_scope
from lockstep.programs.models import Program, ProgramStatus, PulseRound
from lockstep.programs.selectors import current_round


def open_pulse_round(program: Program) -> PulseRound:
    """The round reps answer now: the latest opened round of a live program, else 404."""
    if program.status != ProgramStatus.LIVE:
        raise Http404("The pulse opens at launch")
    pulse_round = current_round(program)
    if pulse_round is None:
        raise Http404("No pulse round is open")
    return pulse_round


def pulse_results(
    membership: Membership, program: Program, pulse_round: PulseRound
) -> dict[str, Any]:
    """The round's summary, with only the teams (and, for a named pulse, the people) the
    member may see."""
    summary = pulse_summary(program, pulse_round)
    scope = team_scope(membership)
    if scope is not None:
        mine = set(
            Team.objects.for_org(membership.org).filter(pk__in=scope).values_list("name", flat=True)
        )
        summary["groups"] = [g for g in summary["groups"] if g.label in mine]
        summary["individual"] = [r for r in summary["individual"] if r.team and r.team.name in mine]
    return summary
