"""What happens when a program goes live, and calendar invites for live sessions.

Everything here runs inside the launch transaction and only queues e-mail (on commit), with
one key per message, so a retried launch task or a second click never sends twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from icalendar import Calendar, Event, vCalAddress, vText

from lockstep.accounts.models import User
from lockstep.core.notify import notify, queue_email
from lockstep.feedback.models import PulseRound
from lockstep.orgs.models import Membership, Role
from lockstep.orgs.services import absolute_url, leader_team_ids
from lockstep.programs.models import Program, TrainingItem, TrainingKind
from lockstep.programs.services import audience_reps, audience_team_ids


def announce(program: Program) -> int:
    """Brief links to every audience rep, a summary to each leader, session invites."""
    PulseRound.objects.get_or_create(org=program.org, program=program, day_offset=0)
    reps = list(audience_reps(program).select_related("user", "team"))
    url = reverse("programs:brief", args=[program.org.slug, program.pk])
    context: dict[str, Any] = {"program": program, "url": absolute_url(url), "org": program.org}
    sent = 0
    for rep in reps:
        html = render_to_string("email/launch_rep.html", {**context, "member": rep})
        note = notify(
            org=program.org, user=rep.user, kind="program.launched",
            title=f"New for you: {program.name}",
            body=render_to_string("email/launch_rep.txt", {**context, "member": rep}),
            url=url, key=f"launch:{program.pk}", html=html,
        )  # fmt: skip
        sent += note is not None
    summarise_for_leaders(program, reps, context)
    for item in program.training.filter(kind=TrainingKind.LIVE):
        send_invites(item, method="REQUEST", users=[r.user for r in reps])
    return sent


def summarise_for_leaders(
    program: Program, reps: list[Membership], context: dict[str, Any]
) -> None:
    audience = audience_team_ids(program)
    for leader in Membership.objects.filter(org=program.org, role=Role.SALES_LEADER).select_related(
        "user"
    ):
        mine = leader_team_ids(leader) & audience
        if not mine:
            continue
        team_reps = [r for r in reps if r.team_id in mine]
        text = render_to_string(
            "email/launch_leader.txt", {**context, "leader": leader, "reps": team_reps}
        )
        notify(
            org=program.org, user=leader.user, kind="program.launched",
            title=f"{program.name} is live for {len(team_reps)} of your reps",
            body=text, url=reverse("insights:funnel", args=[program.org.slug, program.pk]),
            key=f"launch-leader:{program.pk}",
        )  # fmt: skip


def ics(item: TrainingItem, method: str, attendee: User | None = None) -> bytes:
    """An iCalendar invite (REQUEST) or cancellation (CANCEL) with a stable UID."""
    org = item.org
    cal = Calendar()
    cal.add("prodid", "-//Lockstep//Training invites//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", f"training-{item.pk}@lockstep")
    event.add("sequence", item.ics_sequence)
    event.add("summary", f"{item.program.name}: {item.title}")
    start = (item.starts_at or dt.datetime.now(dt.UTC)).astimezone(org.tzinfo)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=item.duration_minutes))
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    if item.join_url:
        event.add("location", vText(item.join_url))
        event.add("url", item.join_url)
    event.add("description", f"Training for {item.program.name}. Join: {item.join_url}")
    event.add("organizer", vCalAddress("mailto:lockstep@localhost"))
    if attendee is not None:
        event.add("attendee", vCalAddress(f"mailto:{attendee.email}"))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    cal.add_component(event)
    return bytes(cal.to_ical())


def send_invites(item: TrainingItem, *, method: str, users: list[User] | None = None) -> None:
    """E-mail the invite (or its update/cancellation) to every audience rep."""
    if users is None:
        users = [m.user for m in audience_reps(item.program).select_related("user")]
    verb = {"REQUEST": "Invitation", "CANCEL": "Cancelled"}[method]
    when = item.starts_at.astimezone(item.org.tzinfo) if item.starts_at else None
    subject = f"{verb}: {item.title} ({item.program.name})"
    text = render_to_string(
        "email/training_invite.txt", {"item": item, "when": when, "method": method}
    )
    for user in users:
        queue_email(
            org=item.org, to=user.email, subject=subject, text=text,
            key=f"ics:{item.pk}:{item.ics_sequence}:{method}:{user.pk}",
            attachments=[{
                "filename": "invite.ics",
                "content": ics(item, method, user).decode(),
                "mimetype": f"text/calendar; method={method}",
            }],
        )  # fmt: skip
