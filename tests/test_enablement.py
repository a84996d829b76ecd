"""Training completion, attendance, the knowledge check and certification."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lockstep.core.models import ActivityEvent
from lockstep.enablement import services
from lockstep.enablement.models import Certification, CheckAttempt, TrainingCompletion
from lockstep.programs import services as program_services
from lockstep.programs.models import (
    CheckQuestion,
    ProgramStatus,
    TrainingItem,
)
from tests.conftest import World
from tests.scenarios import SECRET_EXPLANATION, live_program, make_program


def held(session: TrainingItem) -> TrainingItem:
    """The session took place an hour ago: attendance can be recorded."""
    TrainingItem.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1)
    )
    session.refresh_from_db()
    return session


def answers_for(attempt: CheckAttempt, right: bool) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for question in CheckQuestion.objects.filter(knowledge_check=attempt.knowledge_check):
        choices = list(question.choices.all())
        picked = (
            [c for c in choices if c.correct == right]
            if right
            else [next(c for c in choices if not c.correct)]
        )
        data[f"q{question.pk}"] = [str(c.pk) for c in picked]
    return data


def test_rep_completes_a_self_paced_module_once(world: World) -> None:
    program, module, session, _ = live_program(world)
    client = world.client(world.rep)
    client.post(f"/o/acme/programs/{program.pk}/training/{module.pk}/done/")
    client.post(f"/o/acme/programs/{program.pk}/training/{module.pk}/done/")
    assert TrainingCompletion.objects.filter(item=module, user=world.rep).count() == 1
    assert ActivityEvent.objects.filter(verb="training.completed", actor=world.rep).count() == 1
    response = client.post(
        f"/o/acme/programs/{program.pk}/training/{session.pk}/done/", follow=True
    )
    assert "recorded by marketing or your leader" in response.content.decode()


def test_marketer_marks_attendance_and_leader_sees_only_their_reps(world: World) -> None:
    program, _, session, _ = live_program(world)
    session = held(session)
    url = f"/o/acme/programs/{program.pk}/training/{session.pk}/attendance/"
    world.client(world.marketer).post(url, {"user": [world.rep.pk]})
    assert TrainingCompletion.objects.filter(
        item=session, user=world.rep, source="attended"
    ).exists()
    assert ActivityEvent.objects.filter(verb="training.attended", actor=world.rep).exists()
    assert world.client(world.leader).get(url).status_code == 200
    assert world.client(world.rep).get(url).status_code == 403
    assert world.client(world.viewer).get(url).status_code == 403


def test_attendance_csv_import_all_or_nothing(world: World) -> None:
    program, _, session, _ = live_program(world)
    session = held(session)
    url = f"/o/acme/programs/{program.pk}/training/{session.pk}/attendance/"
    client = world.client(world.marketer)
    bad = SimpleUploadedFile("a.csv", b"email,name\nrep@acme.example,Rep\nstranger@x.example,S\n")
    response = client.post(url, {"file": bad})
    assert (
        response.status_code == 400
        and "stranger@x.example is not a rep" in response.content.decode()
    )
    assert not TrainingCompletion.objects.exists()
    good = SimpleUploadedFile(
        "a.csv",
        b"\xef\xbb\xbfEmail,Name\nREP@acme.example,Rep\npartner@acme.example,P\nrep@acme.example,again\n",
    )
    client.post(url, {"file": good})
    assert TrainingCompletion.objects.filter(item=session, source="import").count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "Q", "kind": "single", "choice_0": "A"}, "at least two choices"),
        (
            {
                "text": "Q",
                "kind": "single",
                "choice_0": "A",
                "correct_0": "on",
                "choice_1": "B",
                "correct_1": "on",
            },
            "exactly one correct",
        ),
        (
            {"text": "Q", "kind": "multiple", "choice_0": "A", "choice_1": "B"},
            "at least one choice as correct",
        ),
        (
            {"text": "Q", "kind": "single", "choice_0": "A", "correct_0": "on", "choice_1": "a"},
            "same text",
        ),
        (
            {"text": "", "kind": "single", "choice_0": "A", "correct_0": "on", "choice_1": "B"},
            "This field is required",
        ),
    ],
)
def test_question_builder_bad_input(world: World, data: dict[str, str], message: str) -> None:
    program, _, _, check = live_program(world)
    before = check.questions.count()
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/check/questions/", data
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert check.questions.count() == before


def test_answers_are_never_in_the_page_before_submission(world: World) -> None:
    program, *_ = live_program(world)
    body = (
        world.client(world.rep).get(f"/o/acme/programs/{program.pk}/check/take/").content.decode()
    )
    assert "Which customers expanded?" in body and "Pilots" in body
    assert SECRET_EXPLANATION not in body
    assert not re.search(r"correct|data-right|✔", body.split("<main")[1], re.IGNORECASE)


def test_fail_then_retry_then_pass_and_get_certified(world: World) -> None:
    program, module, session, check = live_program(world)
    session = held(session)
    client = world.client(world.rep)
    client.get(f"/o/acme/programs/{program.pk}/check/take/")
    attempt = CheckAttempt.objects.get(user=world.rep)
    assert sorted(attempt.order["questions"]) == sorted(
        check.questions.values_list("id", flat=True)
    )
    response = client.post(
        f"/o/acme/programs/{program.pk}/check/take/", answers_for(attempt, right=False), follow=True
    )
    body = response.content.decode()
    # attempts remain: say which questions were wrong, never the right answers
    assert "Not passed yet" in body and "2 questions were wrong" in body
    assert SECRET_EXPLANATION not in body and "Right answer" not in body
    assert "Pilots" not in body.replace("Your answer: Pilots", "")  # the right choice
    attempt.refresh_from_db()
    assert attempt.score == 0 and attempt.passed is False
    client.get(f"/o/acme/programs/{program.pk}/check/take/")
    second = CheckAttempt.objects.get(user=world.rep, number=2)
    client.post(f"/o/acme/programs/{program.pk}/check/take/", answers_for(second, right=True))
    second.refresh_from_db()
    assert second.score == 100 and second.passed
    first_again = client.get(f"/o/acme/programs/{program.pk}/check/attempts/{attempt.pk}/")
    assert SECRET_EXPLANATION in first_again.content.decode()  # passed: now it is shown
    assert ActivityEvent.objects.filter(verb="check.passed", actor=world.rep).count() == 1
    assert not Certification.objects.exists()  # training still to do
    services.complete_module(item=module, user=world.rep)
    services.mark_attendance(
        item=session, users=[world.rep], acting_user=world.marketer, source="attended"
    )
    assert Certification.objects.filter(program=program, user=world.rep).exists()
    assert (
        "Certificate of readiness"
        in client.get(f"/o/acme/programs/{program.pk}/certificate/").content.decode()
    )
    assert (
        world.client(world.partner).get(f"/o/acme/programs/{program.pk}/certificate/").status_code
        == 404
    )


def test_attempts_run_out(world: World) -> None:
    program, *_ = live_program(world)
    client = world.client(world.rep)
    for _ in range(2):
        client.get(f"/o/acme/programs/{program.pk}/check/take/")
        attempt = CheckAttempt.objects.filter(user=world.rep).order_by("-number").first()
        assert attempt is not None
        client.post(f"/o/acme/programs/{program.pk}/check/take/", answers_for(attempt, right=False))
    response = client.get(f"/o/acme/programs/{program.pk}/check/take/", follow=True)
    assert "used all 2 attempts" in response.content.decode()
    assert CheckAttempt.objects.filter(user=world.rep).count() == 2


def test_unanswered_questions_and_tampered_ids(world: World) -> None:
    program, *_ = live_program(world)
    client = world.client(world.rep)
    client.get(f"/o/acme/programs/{program.pk}/check/take/")
    attempt = CheckAttempt.objects.get()
    data = answers_for(attempt, right=True)
    first = next(iter(data))
    partial = {first: data[first]}
    response = client.post(f"/o/acme/programs/{program.pk}/check/take/", partial)
    assert response.status_code == 400 and "Answer every question" in response.content.decode()
    tampered = {k: ["999999", "abc"] for k in data}
    assert client.post(f"/o/acme/programs/{program.pk}/check/take/", tampered).status_code == 400
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_double_submit_is_refused(world: World) -> None:
    program, _, _, check = live_program(world)
    attempt = services.start_attempt(check=check, user=world.rep)
    answers = {k[1:]: [int(v) for v in vs] for k, vs in answers_for(attempt, right=True).items()}
    services.submit_attempt(attempt=attempt, answers=answers)
    with pytest.raises(services.EnablementError, match="already submitted"):
        services.submit_attempt(attempt=attempt, answers=answers)
    with pytest.raises(services.EnablementError, match="already passed"):
        services.start_attempt(check=check, user=world.rep)


def test_someone_elses_attempt_is_404(world: World) -> None:
    program, _, _, check = live_program(world)
    attempt = services.start_attempt(check=check, user=world.partner)
    answers = {k[1:]: [int(v) for v in vs] for k, vs in answers_for(attempt, right=True).items()}
    services.submit_attempt(attempt=attempt, answers=answers)
    assert (
        world.client(world.rep)
        .get(f"/o/acme/programs/{program.pk}/check/attempts/{attempt.pk}/")
        .status_code
        == 404
    )


def test_check_without_questions_cannot_be_taken(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    check = program_services.set_knowledge_check(
        program=program, acting_user=world.marketer, title="Empty", pass_mark=80, attempts_allowed=1
    )
    with pytest.raises(services.EnablementError, match="no questions"):
        services.start_attempt(check=check, user=world.rep)


def test_brief_shows_training_status_and_check(world: World) -> None:
    program, module, *_ = live_program(world)
    services.complete_module(item=module, user=world.rep)
    body = world.client(world.rep).get(f"/o/acme/programs/{program.pk}/brief/").content.decode()
    assert "✔ done" in body and "Take the knowledge check" in body
    home = world.client(world.rep).get("/o/acme/").content.decode()
    assert "1 required training item to do" in home and "Pass the knowledge check" in home


def test_right_answers_are_shown_when_no_attempt_is_left(world: World) -> None:
    program, _, _, check = live_program(world)  # two attempts allowed
    client = world.client(world.rep)
    for number in (1, 2):
        client.get(f"/o/acme/programs/{program.pk}/check/take/")
        attempt = CheckAttempt.objects.get(user=world.rep, number=number)
        response = client.post(
            f"/o/acme/programs/{program.pk}/check/take/",
            answers_for(attempt, right=False),
            follow=True,
        )
    body = response.content.decode()
    assert "used every attempt" in body and "Right answer" in body and SECRET_EXPLANATION in body
