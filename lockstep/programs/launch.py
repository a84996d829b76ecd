"""What happens when a program goes live, and calendar invites for live sessions.

Both run in background tasks queued on commit (`programs.tasks`); each message has a key,
so a retried task or a second click never sends twice.

Calendar invites (RFC 5545/5546): one event per live session, its UID a random part stored
on the session @ the host of the base URL (unique across installations, stable across
updates and restores), its SEQUENCE raised by every change; METHOD:REQUEST for an invite or
an update, METHOD:CANCEL for a cancellation. Times are written in UTC ("…Z"), which needs no
VTIMEZONE and which every calendar shows in the reader's own zone; the e-mail around it
states the time in the organization's zone, with the zone's name. (A TZID with a generated
VTIMEZONE was the alternative: the one icalendar generates lists every past transition and
is misread by other parsers, so the same start would land at different hours.)"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import asdict, dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat
from icalendar import Calendar, Event, vCalAddress, vText

from lockstep.accounts.models import User
from lockstep.core.permissions import Role
from lockstep.orgs.models import Membership, Organization
from lockstep.orgs.notify import absolute_url, notify, queue_email
from lockstep.orgs.selectors import hours_by_team, leader_team_ids, org_hours
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
            body=f"{program.name} is live for {rep.team.name if rep.team else 'you'}: read "
            "the brief, confirm it and do the required training.",
            email_text=render_to_string("email/launch_rep.txt", {**context, "member": rep}),
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
    url = reverse("insights:funnel", args=[program.org.slug, program.pk])
    for leader in leaders.select_related("user", "org"):
        mine = leader_team_ids(leader) & audience
        if not mine:
            continue
        team_reps = [r for r in reps if r.team_id in mine]
        mail = {**context, "leader": leader, "reps": team_reps, "url": absolute_url(url)}
        notify(
            org=program.org, user=leader.user, kind="program.launched",
            title=f"{program.name} is live for {len(team_reps)} of your reps",
            body=f"Follow who has read the brief, trained and passed the check, team by "
            f"team ({len(team_reps)} reps).",
            email_text=render_to_string("email/launch_leader.txt", mail),
            html=render_to_string("email/launch_leader.html", mail),
            url=url, key=f"launch-leader:{program.pk}",
        )  # fmt: skip


# --- calendar invites ------------------------------------------------------------------------


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
    uid: str = ""  # the stored random part ("" in tasks queued before it existed)
    required: bool = True

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
            uid=item.ics_uid,
            required=item.required,
        )
    )


def event_uid(invite: SessionInvite) -> str:
    """Globally unique and stable: the session's stored random part @ this installation."""
    host = urlsplit(settings.BASE_URL).hostname or "lockstep.invalid"
    return f"{invite.uid or f'training-{invite.item_id}'}@{host}"


def organizer() -> vCalAddress:
    """The configured sender, so that replies (Accept/Decline) reach a real mailbox."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    person = vCalAddress(f"mailto:{address or settings.DEFAULT_FROM_EMAIL}")
    person.params["CN"] = vText(name or "Lockstep")
    return person


def attendee_address(user: User, *, required: bool, method: str) -> vCalAddress:
    person = vCalAddress(f"mailto:{user.email}")
    person.params["CN"] = vText(user.full_name or user.email)
    person.params["CUTYPE"] = "INDIVIDUAL"
    person.params["ROLE"] = "REQ-PARTICIPANT" if required else "OPT-PARTICIPANT"
    person.params["PARTSTAT"] = "NEEDS-ACTION"
    person.params["RSVP"] = "TRUE" if method == "REQUEST" else "FALSE"
    return person


def ics(
    invite: SessionInvite, org: Organization, method: str, attendee: User | None = None
) -> bytes:
    """An iCalendar invite (REQUEST) or cancellation (CANCEL), times in UTC (see above)."""
    cal = Calendar()
    cal.add("prodid", "-//Lockstep//Training invites//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", event_uid(invite))
    event.add("sequence", invite.sequence)
    event.add("summary", f"{invite.program_name}: {invite.title}")
    start = (invite.start or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=invite.duration_minutes))
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    if invite.join_url:
        event.add("location", vText(invite.join_url))
        event.add("url", invite.join_url)
    join = f" Join: {invite.join_url}" if invite.join_url else ""
    event.add("description", f"Training for {invite.program_name} ({org.name}).{join}")
    event.add("organizer", organizer())
    if attendee is not None:
        event.add("attendee", attendee_address(attendee, required=invite.required, method=method))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    return bytes(cal.to_ical())


def local_time(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """ "Tuesday 12 January 2027, 10:30 EST (America/New_York)": the reader's zone, named."""
    local = moment.astimezone(zone)
    return f"{dateformat.format(local, 'l j F Y, H:i T')} ({zone.key})"


def invite_email(
    invite: SessionInvite,
    org: Organization,
    *,
    method: str,
    update: bool,
    zone: zoneinfo.ZoneInfo | None = None,
) -> dict[str, str]:
    """Subject, text and HTML of an invite, an update or a cancellation, in the attendee's
    time zone (their team's, inherited down the tree; else the organization's)."""
    verb = "Cancelled" if method == "CANCEL" else "Updated" if update else "Invitation"
    start = invite.start
    context = {
        "item": invite, "method": method, "update": update, "org": org,
        "when": local_time(start, zone or org.tzinfo) if start else "",
        "brief_url": absolute_url(reverse("briefs:brief", args=[org.slug, invite.program_id])),
    }  # fmt: skip
    return {
        "subject": f"{verb}: {invite.title} ({invite.program_name})",
        "text": render_to_string("email/training_invite.txt", context),
        "html": render_to_string("email/training_invite.html", context),
    }


def send_invites(
    snapshot: dict[str, Any], *, method: str, users: list[User] | None = None, update: bool = False
) -> int:
    """E-mail the invite (`update`: its new version, or its cancellation) to every audience
    rep. The calendar is an alternative of the message body, after the text and the HTML
    (where Outlook and Gmail show Accept/Decline), and attached as invite.ics for clients
    that only look at attachments."""
    invite = SessionInvite(**snapshot)
    program = Program.objects.select_related("org").filter(pk=invite.program_id).first()
    if program is None:
        return 0
    org = program.org
    if users is None:
        members = list(audience_reps(program).select_related("user"))
        users = [m.user for m in members]
    else:
        members = list(Membership.objects.for_org(org).filter(user__in=users))
    team_of = {m.user_id: m.team_id for m in members}
    hours = hours_by_team(org)
    mails: dict[str, dict[str, str]] = {}  # one rendering per time zone
    for user in users:
        team_id = team_of.get(user.pk)
        zone = (hours.get(team_id) if team_id else None) or org_hours(org)
        if zone.time_zone not in mails:
            mails[zone.time_zone] = invite_email(
                invite, org, method=method, update=update, zone=zone.tzinfo
            )
        mail = mails[zone.time_zone]
        calendar = ics(invite, org, method, user).decode()
        queue_email(
            org=org, to=user.email, subject=mail["subject"], text=mail["text"],
            html=mail["html"], key=f"ics:{invite.item_id}:{invite.sequence}:{method}:{user.pk}",
            alternatives=[{"content": calendar, "mimetype": f"text/calendar; method={method}"}],
            attachments=[{
                "filename": "invite.ics", "content": calendar, "mimetype": "application/ics",
            }],
        )  # fmt: skip
    return len(users)
