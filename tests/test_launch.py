"""Going live: announcements, calendar invites, idempotent sending, reminders."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from lockstep.briefs import services as briefs
from lockstep.core.models import Notification, SentMessage
from lockstep.core.permissions import Role
from lockstep.core.tasks import send_email
from lockstep.enablement import services as enablement
from lockstep.ops.scheduler import send_reminders
from lockstep.programs import services
from lockstep.programs.inputs import TrainingInput, training_input_of
from lockstep.programs.models import Program, ProgramStatus
from tests.conftest import World
from tests.scenarios import complete_plan, make_program

START = dt.datetime(2027, 1, 12, 15, 30, tzinfo=dt.UTC)


def go_live(world: World, capture: Any) -> Program:
    program = make_program(world, status=ProgramStatus.READY)
    complete_plan(world, program)
    services.add_training(
        program=program,
        acting_user=world.marketer,
        data=TrainingInput(
            kind="live",
            title="Walkthrough",
            starts_at=START,
            duration_minutes=45,
            join_url="https://meet.example/atlas",
            required=False,
        ),
    )
    mail.outbox.clear()
    with capture(execute=True):
        return services.transition(program=program, acting_user=world.marketer, to="live")


def by_subject(prefix: str) -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith(prefix)]


def parse(message: Any) -> Any:
    ((name, content, mimetype),) = message.attachments
    assert name == "invite.ics" and mimetype == "application/ics"
    return next(
        c for c in Calendar.from_ical(content).walk() if c.name == "VEVENT"
    ), Calendar.from_ical(content)


def test_launch_emails_every_rep_and_the_leader(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = go_live(world, django_capture_on_commit_callbacks)
    announcements = by_subject("New for you")
    assert sorted(m.to[0] for m in announcements) == ["partner@acme.example", "rep@acme.example"]
    message = announcements[0]
    assert f"/o/acme/programs/{program.pk}/brief/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Read the brief" in html and "Double commission" in html
    leader = [m for m in mail.outbox if m.to == ["leader@acme.example"]]
    assert len(leader) == 1 and "2 of your reps" in leader[0].subject


def test_live_session_invite_parses_back_with_the_org_time_zone(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    world.org.time_zone = "Europe/Berlin"
    world.org.save()
    go_live(world, django_capture_on_commit_callbacks)
    invites = by_subject("Invitation: Walkthrough")
    assert len(invites) == 2
    event, calendar = parse(invites[0])
    assert calendar["method"] == "REQUEST"
    assert str(event["uid"]).endswith("@127.0.0.1")  # the host of the base URL
    start = event.decoded("dtstart")
    assert start == START and start.utcoffset() == dt.timedelta(0)  # UTC: no VTIMEZONE needed
    assert "Tuesday 12 January 2027, 16:30 CET (Europe/Berlin)" in invites[0].body
    assert event.decoded("dtend") - start == dt.timedelta(minutes=45)
    assert str(event["location"]) == "https://meet.example/atlas"


def test_updating_and_cancelling_a_session_keeps_the_uid(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = go_live(world, django_capture_on_commit_callbacks)
    item = program.training.get(kind="live")
    first, _ = parse(by_subject("Invitation")[0])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        later = replace(training_input_of(item), starts_at=START + dt.timedelta(hours=2))
        services.update_training(item=item, acting_user=world.marketer, data=later)
    updated, _ = parse(by_subject("Updated: Walkthrough")[0])
    assert not by_subject("Invitation")
    assert updated["uid"] == first["uid"] and updated["sequence"] > first["sequence"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_training(item=item, acting_user=world.marketer)
    cancelled, calendar = parse(by_subject("Cancelled")[0])
    assert calendar["method"] == "CANCEL" and str(cancelled["status"]) == "CANCELLED"
    assert cancelled["uid"] == first["uid"] and cancelled["sequence"] > updated["sequence"]


def test_retried_send_task_sends_once(world: World) -> None:
    for _ in range(3):
        send_email.call(["a@b.example"], "Hello", "Body", key="once-only", org_id=world.org.pk)
    assert len(mail.outbox) == 1
    assert SentMessage.objects.filter(key="once-only").count() == 1


def test_a_second_launch_notification_is_not_sent(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = go_live(world, django_capture_on_commit_callbacks)
    from lockstep.programs.launch import announce

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert announce(program) == 0
    assert mail.outbox == []


def test_in_app_only_people_get_no_email(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    membership = world.membership(world.rep)
    membership.email_notifications = False
    membership.save()
    go_live(world, django_capture_on_commit_callbacks)
    assert not [m for m in by_subject("New for you") if m.to == ["rep@acme.example"]]
    assert Notification.objects.filter(user=world.rep, kind="program.launched").exists()


def test_reminders_are_due_once(world: World, django_capture_on_commit_callbacks: Any) -> None:
    program = go_live(world, django_capture_on_commit_callbacks)
    soon = timezone.now() + dt.timedelta(days=1)
    assert send_reminders(now=soon) == 2  # only the launch pulse round, one per rep
    assert send_reminders(now=soon) == 0
    later = timezone.now() + dt.timedelta(days=program.training_due_days + 1)
    briefs.acknowledge_brief(program=program, user=world.partner)
    module = program.training.get(kind="self_paced")
    enablement.complete_module(item=module, user=world.partner)
    sent = send_reminders(now=later)
    kinds = set(
        Notification.objects.filter(kind__startswith="reminder.").values_list("user__email", "kind")
    )
    assert ("rep@acme.example", "reminder.brief") in kinds
    assert ("rep@acme.example", "reminder.training") in kinds
    assert ("partner@acme.example", "reminder.brief") not in kinds
    assert ("partner@acme.example", "reminder.training") not in kinds
    pulses = Notification.objects.filter(kind="pulse.opened").count()
    assert pulses == 2  # the launch round opened: both reps were asked once
    assert sent == len(kinds)
    assert send_reminders(now=later) == 0  # idempotent


def test_owner_override_launch_also_announces(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = make_program(world, status=ProgramStatus.READY)
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(
            program=program,
            acting_user=world.owner,
            to="live",
            override_reason="Board date",
            acting_role=Role.OWNER,
        )
    assert len(by_subject("New for you")) == 2
