"""A sales leader's one-click reminder to reps of their teams who are behind on a program.

The reps and what each is missing are read again from the funnel when the leader clicks
(never taken from the form), only reps of the leader's teams are reminded, each reminder
goes out at most once a day per rep and program (the notification key), and the leader's
action is in the audit log."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lockstep.core.events import Action
from lockstep.core.services import record_audit
from lockstep.insights import funnel
from lockstep.insights.leader import todo_of
from lockstep.orgs.models import Membership
from lockstep.orgs.notify import notify
from lockstep.orgs.selectors import TeamTree, leader_team_ids
from lockstep.programs.models import Program


def reps_behind(leader: Membership, program: Program) -> list[dict[str, Any]]:
    """The reps of the leader's teams in the program's audience with something they can be
    reminded to do (`insights.leader.REMINDABLE`), with that list as `todo`."""
    tree = TeamTree.load(program.org)
    mine = leader_team_ids(leader, tree)
    ctx = funnel.load_many([program], tree=tree)[program.pk]
    rows = funnel.team_reps(program, mine, ctx=ctx)
    return [{**row, "todo": todo} for row in rows if (todo := todo_of(row))]


@transaction.atomic
def remind_reps(
    *, leader: Membership, program: Program, membership_ids: set[int] | None = None
) -> tuple[int, int]:
    """Remind the reps behind (all of them, or those of `membership_ids`); returns (reminded
    now, already reminded today)."""
    today = timezone.localdate(timezone=program.org.tzinfo)
    behind = reps_behind(leader, program)
    if membership_ids is not None:
        behind = [r for r in behind if r["membership_id"] in membership_ids]
    url = reverse("briefs:brief", args=[program.org.slug, program.pk])
    people = {
        m.pk: m.user
        for m in Membership.objects.filter(
            org=program.org, pk__in=[r["membership_id"] for r in behind]
        ).select_related("user")
    }
    sent = skipped = 0
    names = []
    for rep in behind:
        todo: list[str] = rep["todo"]
        body = f"{leader.user} asks you to catch up on {program.name}:\n" + "\n".join(
            f"- {item}" for item in todo
        )
        note = notify(
            org=program.org,
            user=people[rep["membership_id"]],
            kind="leader.reminder",
            title=f"{leader.user}: please catch up on {program.name}",
            body=body,
            url=url,
            key=f"leader-reminder:{program.pk}:{rep['user_id']}:{today.isoformat()}",
        )
        if note is None:
            skipped += 1
        else:
            sent += 1
            names.append(str(rep["name"]))
    if sent:
        record_audit(
            org=program.org,
            acting_user=leader.user,
            action=Action.REPS_REMINDED,
            obj=program,
            changes={"reminded": [None, names]},
        )
    return sent, skipped
