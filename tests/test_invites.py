"""Calendar invites as calendar clients read them: two independent iCalendar parsers
(icalendar, vobject) agree on every invite, update and cancellation; the start is right in
UTC for organizations east and west of it, across daylight-saving changes; the MIME layout
is the one Outlook and Gmail show Accept/Decline for. And the rep's side: "add to
calendar" on the brief for sessions to come, past sessions off the to-do lists, attendance
only once a session has started."""

from __future__ import annotations

import datetime as dt
import email
import importlib
import re
import zoneinfo
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
import vobject
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from lockstep.enablement import services as enablement
from lockstep.enablement.models import TrainingCompletion
from lockstep.programs import services
from lockstep.programs.inputs import TrainingInput, training_input_of
from lockstep.programs.models import Program, ProgramStatus, TrainingItem
from tests.conftest import World
from tests.factories import TrainingItemFactory
from tests.scenarios import complete_plan, live_program, make_program

SENDER = "Acme Enablement <enablement@acme.example>"
HOST = "lockstep.acme.example"


@pytest.fixture(autouse=True)
def installation(settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = SENDER
    settings.BASE_URL = f"https://{HOST}"


def go_live(world: World, capture: Any, zone: str, local_start: dt.datetime) -> TrainingItem:
    world.org.time_zone = zone
    world.org.save()
    program = make_program(world, status=ProgramStatus.READY)
    complete_plan(world, program)
    session = services.add_training(
        program=program,
        acting_user=world.marketer,
        data=TrainingInput(
            kind="live", title="Walkthrough", duration_minutes=45, required=True,
            starts_at=local_start,
            join_url="https://meet.example/atlas",
        ),
    )  # fmt: skip
    mail.outbox.clear()
    with capture(execute=True):
        services.transition(
            program=program, acting_user=world.owner, to="live",
            override_reason="Test", acting_role="owner",
        )  # fmt: skip
    return TrainingItem.objects.select_related("program").get(pk=session.pk)


def sent(prefix: str) -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith(prefix)]


def parsed(message: Any) -> EmailMessage:
    """The message as a mail client receives it."""
    raw = message.message().as_bytes()
    result = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(result, EmailMessage)
    return result


def calendar_text(message: Any) -> str:
    part = next(p for p in parsed(message).walk() if p.get_content_type() == "text/calendar")
    return str(part.get_content())


def both_parsers(text: str) -> dict[str, Any]:
    """What icalendar and vobject each read; they must agree."""
    ical = Calendar.from_ical(text)
    event = next(c for c in ical.walk() if c.name == "VEVENT")
    defined = {str(tz["tzid"]) for tz in ical.walk() if tz.name == "VTIMEZONE"}
    used = set(re.findall(r";TZID=([^:;]+)", text))
    assert used <= defined, f"TZID without a VTIMEZONE: {used - defined}"
    v = vobject.readOne(text)
    vevent = v.vevent
    (attendee,) = (
        event.get("attendee") if isinstance(event.get("attendee"), list) else [event["attendee"]]
    )
    readings = {
        "icalendar": {
            "method": str(ical["method"]),
            "uid": str(event["uid"]),
            "sequence": int(str(event["sequence"])),
            "start": event.decoded("dtstart").astimezone(dt.UTC),
            "end": event.decoded("dtend").astimezone(dt.UTC),
            "organizer": str(event["organizer"]).lower(),
            "attendee": str(attendee).lower(),
            "attendee_params": {k: str(v) for k, v in attendee.params.items()},
            "status": str(event["status"]),
        },
        "vobject": {
            "method": v.method.value,
            "uid": vevent.uid.value,
            "sequence": int(vevent.sequence.value),
            "start": vevent.dtstart.value.astimezone(dt.UTC),
            "end": vevent.dtend.value.astimezone(dt.UTC),
            "organizer": vevent.organizer.value.lower(),
            "attendee": vevent.attendee.value.lower(),
            "attendee_params": {k: ",".join(v) for k, v in vevent.attendee.params.items()},
            "status": vevent.status.value,
        },
    }
    assert readings["icalendar"] == readings["vobject"]
    return readings["icalendar"]


# Starts in local time, before and after the organization's daylight-saving change
# (New York: 14 March 2027; London: 28 March 2027), and what they are in UTC.
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LONDON = zoneinfo.ZoneInfo("Europe/London")
CASES = [
    pytest.param(
        "America/New_York",
        dt.datetime(2027, 3, 9, 10, 30, tzinfo=NEW_YORK),
        dt.datetime(2027, 3, 16, 10, 30, tzinfo=NEW_YORK),
        dt.datetime(2027, 3, 9, 15, 30, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 16, 14, 30, tzinfo=dt.UTC),
        "Tuesday 16 March 2027, 10:30 EDT (America/New_York)", id="new-york",
    ),
    pytest.param(
        "Europe/London",
        dt.datetime(2027, 3, 22, 9, 0, tzinfo=LONDON),
        dt.datetime(2027, 3, 29, 9, 0, tzinfo=LONDON),
        dt.datetime(2027, 3, 22, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 29, 8, 0, tzinfo=dt.UTC),
        "Monday 29 March 2027, 09:00 BST (Europe/London)", id="london",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "first", "moved", "first_utc", "moved_utc", "said"), CASES)
def test_invite_update_and_cancellation_read_the_same_in_two_parsers(
    world: World, django_capture_on_commit_callbacks: Any, zone: str, first: dt.datetime,
    moved: dt.datetime, first_utc: dt.datetime, moved_utc: dt.datetime, said: str,
) -> None:  # fmt: skip
    session = go_live(world, django_capture_on_commit_callbacks, zone, first)
    invites = sent("Invitation: Walkthrough")
    assert sorted(m.to[0] for m in invites) == ["partner@acme.example", "rep@acme.example"]
    invite = next(m for m in invites if m.to == ["rep@acme.example"])
    read = both_parsers(calendar_text(invite))
    assert read["method"] == "REQUEST" and read["status"] == "CONFIRMED"
    assert read["start"] == first_utc and read["end"] - read["start"] == dt.timedelta(minutes=45)
    assert read["uid"] == f"{session.ics_uid}@{HOST}"
    assert read["organizer"] == "mailto:enablement@acme.example"  # the configured sender
    assert read["attendee"] == "mailto:rep@acme.example"
    assert read["attendee_params"] == {
        "CN": world.rep.full_name, "CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE",
    }  # fmt: skip
    local = first.strftime("%H:%M")
    assert f"{local} " in invite.body and f"({zone})" in invite.body  # the org's zone, named

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        later = replace(training_input_of(session), starts_at=moved)
        services.update_training(item=session, acting_user=world.marketer, data=later)
    (update,) = [m for m in sent("Updated: Walkthrough") if m.to == ["rep@acme.example"]]
    assert not sent("Invitation")
    read_update = both_parsers(calendar_text(update))
    assert read_update["method"] == "REQUEST" and read_update["start"] == moved_utc
    assert read_update["uid"] == read["uid"] and read_update["sequence"] > read["sequence"]
    assert said in update.body and "UTC" not in update.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_training(item=session, acting_user=world.marketer)
    (cancel,) = [m for m in sent("Cancelled: Walkthrough") if m.to == ["rep@acme.example"]]
    read_cancel = both_parsers(calendar_text(cancel))
    assert read_cancel["method"] == "CANCEL" and read_cancel["status"] == "CANCELLED"
    assert read_cancel["uid"] == read["uid"]
    assert read_cancel["sequence"] > read_update["sequence"]


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_the_calendar_is_an_alternative_of_the_body_and_an_attachment(
    world: World, django_capture_on_commit_callbacks: Any, method: str
) -> None:
    session = go_live(
        world, django_capture_on_commit_callbacks, "Europe/London",
        dt.datetime(2027, 1, 12, 9, tzinfo=LONDON),
    )  # fmt: skip
    if method == "CANCEL":
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.remove_training(item=session, acting_user=world.marketer)
    message: Any = parsed(next(m for m in mail.outbox if "Walkthrough" in m.subject))
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/mixed"
    body, attachment = message.get_payload()
    assert body.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in body.get_payload()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]  # the richest last
    calendar = body.get_payload()[2]
    assert calendar.get_param("method") == method
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    same = attachment.get_content().decode().replace("\r\n", "\n")
    assert same == calendar.get_content().replace("\r\n", "\n")
    html = body.get_payload()[1].get_content()
    assert "Walkthrough" in html and ("cancelled" in html) == (method == "CANCEL")
    text = body.get_payload()[0].get_content()
    if method == "REQUEST":
        assert text.count("https://meet.example/atlas") == 1
        assert text.count("/brief/") == 1


def test_every_session_has_its_own_stable_uid(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program, _, session, _ = live_program(world)
    other = TrainingItemFactory(program=program, live=True)
    assert session.ics_uid and session.ics_uid != other.ics_uid
    assert len(session.ics_uid) == 32
    before = session.ics_uid
    with django_capture_on_commit_callbacks(execute=True):
        data = replace(training_input_of(session), title="Walkthrough, part 1")
        services.update_training(item=session, acting_user=world.marketer, data=data)
    session.refresh_from_db()
    assert session.ics_uid == before and session.ics_sequence == 1


def test_the_migration_gives_existing_sessions_distinct_uids(world: World) -> None:
    program, _, session, _ = live_program(world)
    other = TrainingItemFactory(program=program, live=True)
    TrainingItem.objects.filter(pk=other.pk).update(ics_uid="x" * 32)
    TrainingItem.objects.filter(pk=session.pk).update(ics_uid="y" * 32)
    migration = importlib.import_module("lockstep.programs.migrations.0007_trainingitem_ics_uid")
    migration.fill_uids(apps, None)
    uids = set(TrainingItem.objects.values_list("ics_uid", flat=True))
    assert len(uids) == TrainingItem.objects.count() and not uids & {"x" * 32, "y" * 32}


# --- the rep's side -----------------------------------------------------------------------


def rep_program(world: World) -> tuple[Program, TrainingItem, TrainingItem]:
    program, _, _, _ = live_program(world)
    program.training.filter(kind="live").delete()
    now = timezone.now()
    coming = TrainingItemFactory(program=program, live=True, title="Coming session",
                                 starts_at=now + dt.timedelta(days=2))  # fmt: skip
    past = TrainingItemFactory(program=program, live=True, title="Past session",
                               starts_at=now - dt.timedelta(days=2))  # fmt: skip
    return program, coming, past


def test_the_brief_offers_add_to_calendar_for_sessions_to_come_only(world: World) -> None:
    program, coming, past = rep_program(world)
    page = world.client(world.rep).get(reverse("briefs:brief", args=["acme", program.pk]))
    body = page.content.decode()
    coming_ics = reverse("briefs:session_ics", args=["acme", program.pk, coming.pk])
    past_ics = reverse("briefs:session_ics", args=["acme", program.pk, past.pk])
    assert coming_ics in body and past_ics not in body
    todo = body.split("What to do next", 1)[1].split("</ol>", 1)[0]
    assert "Coming session" in todo and "Past session" not in todo  # not a to-do any more
    download = world.client(world.rep).get(coming_ics)
    assert download.status_code == 200
    read = both_parsers(download.content.decode())
    assert read["uid"] == f"{coming.ics_uid}@{HOST}"
    assert coming.starts_at is not None
    assert read["start"] == coming.starts_at.replace(microsecond=0)


def test_the_rep_home_lists_sessions_to_come_not_past_ones(world: World) -> None:
    program, coming, past = rep_program(world)
    body = world.client(world.rep).get(reverse("insights:home", args=["acme"])).content.decode()
    assert "Coming session" in body and "Past session" not in body
    assert reverse("briefs:session_ics", args=["acme", program.pk, coming.pk]) in body


def test_attendance_only_once_the_session_has_started(world: World) -> None:
    program, coming, past = rep_program(world)
    with pytest.raises(enablement.EnablementError, match="once it has started"):
        enablement.mark_attendance(
            item=coming, users=[world.rep], acting_user=world.marketer, source="attended"
        )
    url = reverse("enablement:attendance", args=["acme", program.pk, coming.pk])
    client = world.client(world.marketer)
    page = client.get(url).content.decode()
    assert "Not started yet" in page and "Record attendance" not in page
    refused = client.post(url, {"user": [world.rep.pk]}, follow=True).content.decode()
    assert "attendance can be recorded once it has started" in refused
    assert not TrainingCompletion.objects.filter(item=coming).exists()
    # A session that took place: recorded as before.
    assert (
        enablement.mark_attendance(
            item=past, users=[world.rep], acting_user=world.marketer, source="attended"
        )
        == 1
    )
    done = client.get(reverse("enablement:attendance", args=["acme", program.pk, past.pk]))
    assert "Record attendance" in done.content.decode()


def test_the_invite_states_the_time_in_the_reps_team_zone(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    # the rep's region works in New York; the organization (and the partner team) in London
    world.region.time_zone = "America/New_York"
    world.region.save()
    world.partner_team.time_zone = "Europe/London"
    world.partner_team.save()
    go_live(
        world, django_capture_on_commit_callbacks, "Europe/London",
        dt.datetime(2027, 1, 12, 15, tzinfo=LONDON),
    )  # fmt: skip
    invites = {m.to[0]: m.body for m in sent("Invitation:")}
    assert "10:00 EST (America/New_York)" in invites["rep@acme.example"]
    assert "15:00 GMT (Europe/London)" in invites["partner@acme.example"]


def test_a_missed_session_is_not_counted_as_training_to_do(world: World) -> None:
    from lockstep.briefs.selectors import rep_programs

    program, coming, past = rep_program(world)
    TrainingItem.objects.filter(program=program).exclude(pk__in=[coming.pk, past.pk]).update(
        required=False
    )
    TrainingItem.objects.filter(pk__in=[coming.pk, past.pk]).update(required=True)
    row = next(r for r in rep_programs(world.membership(world.rep)) if r["program"] == program)
    assert "1 required training item to do" in row["todo"]  # the coming one, not the past one
    TrainingCompletion.objects.create(org=world.org, item=coming, user=world.rep)
    row = next(r for r in rep_programs(world.membership(world.rep)) if r["program"] == program)
    assert not [t for t in row["todo"] if "training" in t]
