"""Rules that live in services, not views: a closed program is frozen whatever the URL, an
organization always keeps an owner (even under concurrent demotions), and a refused action
answers with a clear message — never a server error."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection

from lockstep.accounts.models import User
from lockstep.core.errors import DomainError
from lockstep.core.models import AuditLog
from lockstep.core.permissions import Role
from lockstep.orgs import services as orgs
from lockstep.orgs.models import Membership
from lockstep.programs import services
from lockstep.programs.inputs import CheckQuestionInput
from lockstep.programs.models import CheckQuestion, Program, ProgramStatus
from tests.conftest import World
from tests.factories import UserFactory
from tests.scenarios import make_invitation, make_program


def closed_program_with_a_question(world: World) -> tuple[Program, CheckQuestion]:
    program = make_program(world, status=ProgramStatus.LIVE)
    check = services.set_knowledge_check(
        program=program, acting_user=world.marketer, title="Check", pass_mark=80,
        attempts_allowed=2,
    )  # fmt: skip
    question = services.add_check_question(
        check=check,
        acting_user=world.marketer,
        data=CheckQuestionInput(text="Q?", kind="single", choices=(("A", True), ("B", False))),
    )
    Program.objects.filter(pk=program.pk).update(status=ProgramStatus.CLOSED)
    program.refresh_from_db()
    return program, question


def test_a_closed_program_cannot_be_changed_by_url(world: World) -> None:
    program, question = closed_program_with_a_question(world)
    client = world.client(world.marketer)
    base = f"/o/acme/programs/{program.pk}"
    edit = client.get(f"{base}/edit/")
    assert edit.status_code == 409 and "closed program cannot be changed" in edit.content.decode()
    posted = client.post(
        f"{base}/edit/",
        {"name": "Renamed", "kind": "campaign", "sla_hours": "1", "audience": [world.team.pk]},
    )
    assert posted.status_code == 409
    client.post(f"{base}/pulse/settings/", {"anonymous": "on", "day_offset": "9"})
    client.post(
        f"{base}/check/questions/",
        {"text": "New?", "kind": "single", "choice_0": "x", "correct_0": "on", "choice_1": "y"},
    )
    client.post(f"{base}/check/questions/{question.pk}/delete/")
    program.refresh_from_db()
    assert program.name == "Atlas launch" and program.sla_hours == 4
    assert not program.pulse_anonymous and not program.pulse_rounds.filter(day_offset=9).exists()
    assert list(CheckQuestion.objects.filter(knowledge_check__program=program)) == [question]
    assert not AuditLog.objects.filter(action="program.updated").exists()


def test_refused_htmx_section_change_is_an_alert_fragment(world: World) -> None:
    program, _ = closed_program_with_a_question(world)
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/wiifm/",
        {"wiifm": "x", "incentive_kind": "none"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#page-alert"
    assert "closed program cannot be changed" in response.content.decode()


def test_services_refuse_a_closed_program_whoever_calls_them(world: World) -> None:
    program, question = closed_program_with_a_question(world)
    with pytest.raises(services.ProgramClosed):
        services.set_pulse_anonymous(program=program, acting_user=world.owner, anonymous=True)
    with pytest.raises(services.ProgramClosed):
        services.delete_check_question(question=question, acting_user=world.owner)
    with pytest.raises(services.ProgramClosed):
        services.set_knowledge_check(
            program=program, acting_user=world.owner, title="t", pass_mark=1, attempts_allowed=1
        )


def test_the_last_owner_cannot_be_demoted_or_removed(world: World) -> None:
    owner = world.membership(world.owner)
    with pytest.raises(orgs.LastOwner):
        orgs.change_membership(
            membership=owner, acting_user=world.owner, role=Role.VIEWER, team=None
        )
    with pytest.raises(orgs.LastOwner):
        orgs.remove_membership(membership=owner, acting_user=world.owner)
    response = world.client(world.owner).post(
        f"/o/acme/members/{owner.pk}/remove/", HTTP_REFERER="http://testserver/o/acme/members/"
    )
    assert response.status_code == 302
    assert Membership.objects.filter(org=world.org, role=Role.OWNER).count() == 1


def retry_locked(action: Callable[[], object]) -> None:
    """SQLite's shared in-memory test database refuses a second writer at once instead of
    waiting (a file database waits for its busy timeout): retry like a waiting writer."""
    for attempt in range(50):
        try:
            action()
            return
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("still locked")


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(world: World) -> None:
    second = UserFactory(email="second-owner@acme.example")
    Membership.objects.create(org=world.org, user=second, role=Role.OWNER)
    pairs: list[tuple[User, User]] = [(world.owner, second), (second, world.owner)]
    barrier = threading.Barrier(2)
    refused: list[DomainError] = []
    errors: list[BaseException] = []

    def demote(actor_id: int, target_id: int) -> None:
        try:
            barrier.wait(timeout=5)

            def change() -> None:
                target = Membership.objects.get(org=world.org, user_id=target_id)
                orgs.change_membership(
                    membership=target, acting_user=None, role=Role.VIEWER, team=None
                )

            retry_locked(change)
        except DomainError as exc:
            refused.append(exc)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(a.pk, b.pk)) for a, b in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(refused) == 1 and "only owner" in str(refused[0])
    assert Membership.objects.filter(org=world.org, role=Role.OWNER).count() == 1


def test_accepting_a_used_invitation_is_a_clear_answer(world: World) -> None:
    token = make_invitation(world)
    data = {"first_name": "N", "last_name": "B", "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase"}  # fmt: skip
    first = world.client(None).post(f"/accounts/invitation/{token}/", data)
    assert first.status_code == 302
    again = world.client(None).post(f"/accounts/invitation/{token}/", data)
    assert again.status_code == 404 and "no longer works" in again.content.decode().lower()
