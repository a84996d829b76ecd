"""Pulse surveys (one answer per rep per round, anonymity) and the questions inbox."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from lockstep.core.models import ActivityEvent, Notification
from lockstep.core.permissions import Role
from lockstep.feedback import services
from lockstep.feedback import services as feedback_services
from lockstep.feedback.models import MIN_GROUP, PulseResponse, RepQuestion
from lockstep.orgs.models import Membership
from lockstep.programs import services as program_services
from lockstep.programs.launch import announce
from lockstep.programs.models import Program, ProgramStatus, PulseRound
from tests.conftest import World
from tests.factories import UserFactory
from tests.scenarios import make_program

SCORES = {"understand": 5, "helps": 4, "next_steps": 4}


def launched(world: World) -> tuple[Program, PulseRound]:
    program = make_program(world, status=ProgramStatus.READY)
    program = program_services.transition(
        program=program,
        acting_user=world.owner,
        to="live",
        override_reason="test",
        acting_role=Role.OWNER,
    )
    announce(program)  # the launch task, queued on commit in production
    return program, PulseRound.objects.get(program=program, day_offset=0)


def test_launch_opens_a_pulse_round_and_reps_answer_from_the_brief(world: World) -> None:
    program, pulse_round = launched(world)
    client = world.client(world.rep)
    assert "Quick pulse" in client.get(f"/o/acme/programs/{program.pk}/brief/").content.decode()
    client.post(f"/o/acme/programs/{program.pk}/pulse/answer/", {**SCORES, "comment": "Good"})
    client.post(f"/o/acme/programs/{program.pk}/pulse/answer/", {**SCORES, "helps": 2})
    response = PulseResponse.objects.get()
    assert (response.helps, response.comment, response.team) == (2, "", world.team)
    assert ActivityEvent.objects.filter(verb="pulse.answered", actor=world.rep).count() == 2


@pytest.mark.parametrize(
    "bad", [{"understand": "6"}, {"understand": "0"}, {"understand": "x"}, {"helps": ""}]
)
def test_pulse_bad_input(world: World, bad: dict[str, str]) -> None:
    program, _ = launched(world)
    response = world.client(world.rep).post(
        f"/o/acme/programs/{program.pk}/pulse/answer/", {**SCORES, **bad}, follow=True
    )
    assert "Pick a score from 1 to 5" in response.content.decode()
    assert not PulseResponse.objects.exists()


def test_no_pulse_before_launch(world: World) -> None:
    program = make_program(world, status=ProgramStatus.PREVIEW)
    response = world.client(world.rep).post(f"/o/acme/programs/{program.pk}/pulse/answer/", SCORES)
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_pulse_submissions_at_once_leave_one_row(world: World) -> None:
    program, pulse_round = launched(world)
    membership = world.membership(world.rep)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def submit(helps: int) -> None:
        try:
            barrier.wait(timeout=5)
            services.answer_pulse(
                pulse_round=pulse_round,
                membership=membership,
                scores={**SCORES, "helps": helps},
                comment="",
            )
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in (1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert PulseResponse.objects.filter(round=pulse_round, user=world.rep).count() == 1


def test_anonymous_pulse_hides_small_groups_and_names(world: World) -> None:
    program, pulse_round = launched(world)
    Program.objects.filter(pk=program.pk).update(pulse_anonymous=True)
    program.refresh_from_db()
    big = []
    for _ in range(MIN_GROUP):
        user = UserFactory()
        big.append(
            Membership.objects.create(org=world.org, user=user, role=Role.REP, team=world.team)
        )
    for member in big:
        services.answer_pulse(
            pulse_round=pulse_round, membership=member, scores=SCORES, comment="Secret sauce"
        )
    services.answer_pulse(
        pulse_round=pulse_round,
        membership=world.membership(world.partner),
        scores=SCORES,
        comment="Tiny team",
    )
    summary = services.pulse_summary(program, pulse_round)
    groups = {g.label: g for g in summary["groups"]}
    assert (
        not groups["London Enterprise"].hidden
        and groups["London Enterprise"].averages["helps"] == 4
    )
    assert groups["Brightline"].hidden and groups["Brightline"].averages["helps"] is None
    assert summary["individual"] == []
    body = (
        world.client(world.marketer).get(f"/o/acme/programs/{program.pk}/pulse/").content.decode()
    )
    assert big[0].user.email not in body and str(big[0].user) not in body
    assert "fewer than 5" in body


def test_named_pulse_shows_answers_to_marketing(world: World) -> None:
    program, pulse_round = launched(world)
    services.answer_pulse(
        pulse_round=pulse_round,
        membership=world.membership(world.rep),
        scores=SCORES,
        comment="Love it",
    )
    body = (
        world.client(world.marketer).get(f"/o/acme/programs/{program.pk}/pulse/").content.decode()
    )
    assert "Love it" in body and str(world.rep) in body


def test_marketer_adds_rounds_and_toggles_anonymity(world: World) -> None:
    program, _ = launched(world)
    client = world.client(world.marketer)
    client.post(
        f"/o/acme/programs/{program.pk}/pulse/settings/", {"day_offset": "14", "anonymous": "on"}
    )
    program.refresh_from_db()
    assert program.pulse_anonymous
    assert list(program.pulse_rounds.values_list("day_offset", flat=True)) == [0, 14]
    response = client.post(
        f"/o/acme/programs/{program.pk}/pulse/settings/", {"day_offset": "-3"}, follow=True
    )
    assert "0 to 365 days" in response.content.decode()
    assert (
        world.client(world.rep)
        .post(f"/o/acme/programs/{program.pk}/pulse/settings/", {})
        .status_code
        == 403
    )


def test_questions_inbox_answer_notifies_and_faq(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program, _ = launched(world)
    mail.outbox.clear()
    question = feedback_services.ask_question(
        program=program, user=world.rep, body="Does it work with SAP?"
    )
    client = world.client(world.marketer)
    assert (
        "Does it work with SAP?"
        in client.get(f"/o/acme/programs/{program.pk}/questions/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/o/acme/programs/{program.pk}/questions/{question.pk}/answer/",
            {"answer": "Yes, SAP S/4."},
        )
    question.refresh_from_db()
    assert question.answered_at is not None and question.answered_by == world.marketer
    assert Notification.objects.filter(user=world.rep, kind="question.answered").exists()
    assert [m.to for m in mail.outbox] == [["rep@acme.example"]]
    # the FAQ shows the edited wording to every audience rep
    client.post(
        f"/o/acme/programs/{program.pk}/questions/{question.pk}/faq/",
        {"faq_question": "Does Atlas integrate with SAP?", "faq_answer": "Yes: SAP S/4HANA."},
    )
    body = world.client(world.partner).get(f"/o/acme/programs/{program.pk}/brief/").content.decode()
    assert "Does Atlas integrate with SAP?" in body
    assert services.answer_times(program)["answered"] == 1


def test_unanswered_question_cannot_go_to_the_faq(world: World) -> None:
    program, _ = launched(world)
    question = feedback_services.ask_question(program=program, user=world.rep, body="Q?")
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/questions/{question.pk}/faq/",
        {"faq_question": "Q", "faq_answer": "A"},
        follow=True,
    )
    assert "Answer the question before" in response.content.decode()
    assert not RepQuestion.objects.get().in_faq


def test_empty_answer_is_refused(world: World) -> None:
    program, _ = launched(world)
    question = feedback_services.ask_question(program=program, user=world.rep, body="Q?")
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/questions/{question.pk}/answer/",
        {"answer": ""},
        follow=True,
    )
    assert "Write an answer" in response.content.decode()
    assert (
        world.client(world.rep).get(f"/o/acme/programs/{program.pk}/questions/").status_code == 403
    )


def test_notification_page_and_email_preference(world: World) -> None:
    program, _ = launched(world)
    client = world.client(world.rep)
    body = client.get("/o/acme/notifications/").content.decode()
    assert f"New for you: {program.name}" in body
    assert 'data-testid="unread"' in body
    client.post("/o/acme/notifications/")
    assert not Notification.objects.filter(user=world.rep, read_at__isnull=True).exists()
    client.post("/o/acme/notifications/", {"email_form": "1"})
    assert not world.membership(world.rep).email_notifications


def test_the_brief_shows_the_latest_faq_and_the_reps_own_latest_questions(world: World) -> None:
    import datetime as dt

    from django.utils import timezone

    from lockstep.briefs.views import FAQ_SHOWN, MINE_SHOWN, faq_and_mine

    program = make_program(world, status=ProgramStatus.LIVE)
    start = timezone.now() - dt.timedelta(days=100)
    other = UserFactory()
    for i in range(FAQ_SHOWN + 5):  # someone else's questions, answered into the FAQ
        RepQuestion.objects.create(
            org=world.org, program=program, asked_by=other, body=f"faq {i}", answer="yes",
            answered_at=start + dt.timedelta(days=i), in_faq=True,
            faq_question=f"Q{i}", faq_answer="A",
        )  # fmt: skip
    for i in range(MINE_SHOWN + 2):  # the rep's own, unanswered
        mine = RepQuestion.objects.create(
            org=world.org, program=program, asked_by=world.rep, body=f"mine {i}"
        )
        RepQuestion.objects.filter(pk=mine.pk).update(created_at=start + dt.timedelta(days=i))
    lists = faq_and_mine(program, world.rep)
    assert [q.faq_question for q in lists["faq"]] == [
        f"Q{i}" for i in range(FAQ_SHOWN + 4, 4, -1)
    ]  # the latest answers first
    assert [q.body for q in lists["my_questions"]] == [
        f"mine {i}" for i in range(MINE_SHOWN + 1, 1, -1)
    ]
    # the rep's own question in the FAQ counts in both lists
    assert faq_and_mine(program, other)["my_questions"][0].body == f"faq {FAQ_SHOWN + 4}"
