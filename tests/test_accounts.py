"""Log in, throttling, password reset, invitations."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from lockstep.accounts.models import LoginAttempt, User
from lockstep.core.permissions import Role
from lockstep.orgs import services
from lockstep.orgs.models import Invitation, Membership
from lockstep.orgs.services import InvitationUsed
from tests.conftest import World
from tests.factories import PASSWORD
from tests.scenarios import make_invitation


def login(client: Client, email: str, password: str) -> str:
    response = client.post(
        "/accounts/login/", {"username": email, "password": password}, follow=True
    )
    return response.content.decode()


def test_login_and_land_on_org_home(world: World) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "rep@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == "/o/acme/"


def test_login_email_is_case_insensitive(world: World) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "REP@acme.example", "password": PASSWORD})
    assert client.get("/o/acme/").status_code == 200


def test_wrong_password_has_a_clear_message(world: World) -> None:
    assert "do not match" in login(Client(), "rep@acme.example", "nope")


@override_settings(LOGIN_THROTTLE_FAILURES=3)
def test_login_locks_after_repeated_failures(world: World) -> None:
    client = Client()
    for _ in range(3):
        login(client, "rep@acme.example", "wrong")
    body = login(client, "rep@acme.example", PASSWORD)
    assert "Too many failed attempts" in body
    assert client.get("/o/acme/").status_code == 302  # still logged out


@override_settings(LOGIN_THROTTLE_FAILURES=3)
def test_lock_expires(world: World) -> None:
    for _ in range(3):
        login(Client(), "rep@acme.example", "wrong")
    LoginAttempt.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    client = Client()
    login(client, "rep@acme.example", PASSWORD)
    assert client.get("/o/acme/").status_code == 200


def test_successful_login_clears_failures(world: World) -> None:
    login(Client(), "rep@acme.example", "wrong")
    login(Client(), "rep@acme.example", PASSWORD)
    assert not LoginAttempt.objects.exists()


def test_logout_needs_post(world: World) -> None:
    client = world.client(world.rep)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/o/acme/").status_code == 302


def test_password_reset_works_for_imported_person_without_password(world: World) -> None:
    User.objects.create_user("imported@acme.example")
    Client().post("/accounts/password-reset/", {"email": "imported@acme.example"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", str(mail.outbox[0].body))
    assert link
    client = Client()
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "a-long-new-secret", "new_password2": "a-long-new-secret"}
    )
    assert response.status_code == 302
    assert User.objects.get(email="imported@acme.example").check_password("a-long-new-secret")
    # the link is single-use
    assert "no longer works" in Client().get(link.group(1), follow=True).content.decode()


def test_password_reset_for_unknown_email_says_the_same(world: World) -> None:
    response = Client().post(
        "/accounts/password-reset/", {"email": "ghost@nowhere.example"}, follow=True
    )
    assert "Check your e-mail" in response.content.decode()
    assert not mail.outbox


def test_accept_invitation_creates_account_and_membership(world: World) -> None:
    token = make_invitation(world)
    client = Client()
    response = client.post(
        f"/accounts/invitation/{token}/",
        {
            "first_name": "New",
            "last_name": "Bie",
            "password1": "quite-long-secret",
            "password2": "quite-long-secret",
        },
    )
    assert response["Location"] == "/o/acme/"
    membership = Membership.objects.get(user__email="newbie@acme.example")
    assert (membership.role, membership.team) == (Role.REP, world.team)
    assert client.get("/o/acme/").status_code == 200
    assert Client().get(f"/accounts/invitation/{token}/").status_code == 404  # single use


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"first_name": "A", "last_name": "B", "password1": "short", "password2": "short"},
            "too short",
        ),
        (
            {
                "first_name": "A",
                "last_name": "B",
                "password1": "quite-long-secret",
                "password2": "other-long-secret",
            },
            "differ",
        ),
        (
            {
                "first_name": "",
                "last_name": "B",
                "password1": "quite-long-secret",
                "password2": "quite-long-secret",
            },
            "required",
        ),
        (
            {
                "first_name": "A",
                "last_name": "B",
                "password1": "password123",
                "password2": "password123",
            },
            "too common",
        ),
    ],
)
def test_accept_invitation_bad_input(world: World, data: dict[str, str], message: str) -> None:
    token = make_invitation(world)
    response = Client().post(f"/accounts/invitation/{token}/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not User.objects.filter(email="newbie@acme.example").exists()


def test_expired_or_revoked_or_unknown_invitation(world: World) -> None:
    token = make_invitation(world)
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert Client().get(f"/accounts/invitation/{token}/").status_code == 404
    assert Client().get("/accounts/invitation/made-up/").status_code == 404


def test_existing_person_joins_a_second_org(world: World) -> None:
    services.invite_member(
        org=world.other_org,
        acting_user=world.outsider,
        email="rep@acme.example",
        role=Role.VIEWER,
        team=None,
    )
    invitation = Invitation.objects.get(org=world.other_org)
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=services.hash_token("t2"))
    client = world.client(world.rep)
    assert (
        "already have a Lockstep account" in client.get("/accounts/invitation/t2/").content.decode()
    )
    client.post("/accounts/invitation/t2/")
    assert Membership.objects.filter(org=world.other_org, user=world.rep, role=Role.VIEWER).exists()


def test_invitation_for_someone_else_is_refused_while_logged_in(world: World) -> None:
    services.invite_member(
        org=world.other_org,
        acting_user=world.outsider,
        email="rep@acme.example",
        role=Role.VIEWER,
        team=None,
    )
    Invitation.objects.update(token_hash=services.hash_token("t3"))
    world.client(world.viewer).post("/accounts/invitation/t3/")
    assert not Membership.objects.filter(org=world.other_org, user=world.rep).exists()


def test_accept_twice_in_service_is_refused(world: World) -> None:
    make_invitation(world)
    invitation = Invitation.objects.get()
    services.accept_invitation(invitation=invitation, user=world.viewer)
    with pytest.raises(InvitationUsed, match="already been used"):
        services.accept_invitation(invitation=invitation, user=world.viewer)


def test_passwords_are_hashed_with_argon2_in_production() -> None:
    from lockstep import settings as prod

    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
