"""Demo step "insights": the programs whose end has passed close (on the day they did), each
gets its retrospective — most with lessons written — every program's free text is grouped
into objection themes, and last Monday's weekly digest is in each leader's bell (the
marketer subscribed to it too)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent, Notification
from lockstep.core.permissions import Role
from lockstep.insights import digest, services
from lockstep.insights.models import DigestIssue, Retrospective
from lockstep.ops.demo.story import BY_NAME
from lockstep.orgs.models import Membership, Organization
from lockstep.programs import services as programs
from lockstep.programs.models import Program, ProgramStatus


def load_insights(org: Organization | None) -> Organization:
    if org is None:
        raise RuntimeError("the insights demo step needs the earlier steps")
    close_finished(org)
    for program in Program.objects.for_org(org).exclude(status=ProgramStatus.DRAFT):
        services.refresh_themes(program=program)
    marketer = Membership.objects.get(org=org, user__email="marketer@demo.example")
    services.set_digest_subscription(
        membership=marketer, subscribed=True, acting_user=marketer.user
    )
    last_digest(org)
    return org


def close_finished(org: Organization) -> None:
    """Close the programs the story closes, two days after their end date."""
    for program in Program.objects.for_org(org).filter(status=ProgramStatus.LIVE).order_by("id"):
        story = BY_NAME.get(program.name)
        if story is None or story.status != ProgramStatus.CLOSED or program.end_date is None:
            continue
        owner, end = program.owner, program.end_date
        assert owner is not None  # noqa: S101 — every demo program has one
        program = programs.transition(program=program, acting_user=owner, to=ProgramStatus.CLOSED)
        closed = dt.datetime.combine(end + dt.timedelta(days=2), dt.time(10), tzinfo=org.tzinfo)
        # services record "now"; the demo's history is older
        ActivityEvent.objects.filter(program=program, verb=Verb.PROGRAM_CLOSED).update(
            occurred_at=closed
        )
        Program.objects.filter(pk=program.pk).update(updated_at=closed)
        record = services.refresh_retrospective(program=program)
        if story.lessons:
            services.save_lessons(program=program, acting_user=owner, lessons=story.lessons)
            Retrospective.objects.filter(pk=record.pk).update(
                lessons_at=closed + dt.timedelta(days=3)
            )


def last_digest(org: Organization) -> None:
    """The digest every leader (and the subscribed marketer) got last Monday at 07:00."""
    now = timezone.now()
    monday = digest.week_start(now, org) + dt.timedelta(minutes=5)
    digest.send_weekly_digests(monday)
    Notification.objects.for_org(org).filter(kind=digest.KIND).update(created_at=monday)
    DigestIssue.objects.for_org(org).update(created_at=monday)
    # leaders read some of theirs; the demo leader has not yet
    leaders = Membership.objects.for_org(org).filter(role=Role.SALES_LEADER)
    readers = leaders.exclude(user__email="leader@demo.example").values("user_id")[:10]
    Notification.objects.for_org(org).filter(kind=digest.KIND, user_id__in=readers).update(
        read_at=monday + dt.timedelta(hours=2)
    )
