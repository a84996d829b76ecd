"""What happens when a program goes live, and calendar invites for live sessions.

Both run in background tasks queued on commit (`programs.tasks`); each message has a key,
so a retried task or a second click never sends twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from icalendar import Calendar, Event, vCalAddress, vText

from lockstep.accounts.models import User
from lockstep.core.permissions import Role
from lockstep.orgs.models import Membership, Organization
from lockstep.orgs.notify import absolute_url, notify, queue_email
from lockstep.orgs.selectors import leader_team_ids
from lockstep.programs.models import Program, TrainingItem, TrainingKind
from lockstep.programs.selectors import audience_reps, audience_team_ids


def announce(program: Program) -> int:
    """Brief links to every audience rep, a summary to each leader, session invites."""
    reps = list(audience_reps(program).select_related("user", "team"))
    url = reverse("briefs:brief", args=[program.org.slug, program.pk])
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
        send_invites(invite_snapshot(item), method="REQUEST", users=[r.user for r in reps])
    return sent


def summarise_for_leaders(
    program: Program, reps: list[Membership], context: dict[str, Any]
) -> None:
    audience = audience_team_ids(program)
    leaders = Membership.objects.for_org(program.org).filter(role=Role.SALES_LEADER)
    for leader in leaders.select_related("user", "org"):
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


@dataclass(frozen=True)
class SessionInvite:
    """What an invite needs, taken when it is queued (a cancelled session is deleted)."""

    item_id: int
    org_id: int
    program_id: int
    program_name: str
    title: str
    starts_at: str  # ISO 8601, "" when not set
    duration_minutes: int
    join_url: str
    sequence: int

    @property
    def start(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self.starts_at) if self.starts_at else None


def invite_snapshot(item: TrainingItem) -> dict[str, Any]:
    return asdict(
        SessionInvite(
            item_id=item.pk,
            org_id=item.org_id,
            program_id=item.program_id,
            program_name=item.program.name,
            title=item.title,
            starts_at=item.starts_at.isoformat() if item.starts_at else "",
            duration_minutes=item.duration_minutes,
            join_url=item.join_url,
            sequence=item.ics_sequence,
        )
    )


def ics(
    invite: SessionInvite, org: Organization, method: str, attendee: User | None = None
) -> bytes:
    """An iCalendar invite (REQUEST) or cancellation (CANCEL) with a stable UID."""
    cal = Calendar()
    cal.add("prodid", "-//Lockstep//Training invites//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", f"training-{invite.item_id}@lockstep")
    event.add("sequence", invite.sequence)
    event.add("summary", f"{invite.program_name}: {invite.title}")
    start = (invite.start or dt.datetime.now(dt.UTC)).astimezone(org.tzinfo)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=invite.duration_minutes))
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    if invite.join_url:
        event.add("location", vText(invite.join_url))
        event.add("url", invite.join_url)
    event.add("description", f"Training for {invite.program_name}. Join: {invite.join_url}")
    event.add("organizer", vCalAddress("mailto:lockstep@localhost"))
    if attendee is not None:
        event.add("attendee", vCalAddress(f"mailto:{attendee.email}"))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    cal.add_component(event)
    return bytes(cal.to_ical())


def send_invites(snapshot: dict[str, Any], *, method: str, users: list[User] | None = None) -> int:
    """E-mail the invite (or its update/cancellation) to every audience rep."""
    invite = SessionInvite(**snapshot)
    program = Program.objects.select_related("org").filter(pk=invite.program_id).first()
    if program is None:
        return 0
    org = program.org
    if users is None:
        users = [m.user for m in audience_reps(program).select_related("user")]
    verb = {"REQUEST": "Invitation", "CANCEL": "Cancelled"}[method]
    start = invite.start
    when = start.astimezone(org.tzinfo) if start else None
    subject = f"{verb}: {invite.title} ({invite.program_name})"
    text = render_to_string(
        "email/training_invite.txt", {"item": invite, "when": when, "method": method}
    )
    for user in users:
        queue_email(
            org=org, to=user.email, subject=subject, text=text,
            key=f"ics:{invite.item_id}:{invite.sequence}:{method}:{user.pk}",
            attachments=[{
                "filename": "invite.ics",
                "content": ics(invite, org, method, user).decode(),
                "mimetype": f"text/calendar; method={method}",
            }],
        )  # fmt: skip
    return len(users)
