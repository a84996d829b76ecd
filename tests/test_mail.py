"""E-mail as inboxes see it: RFC 8058 one-click unsubscribe on bulk mail (a signed link
that turns off one kind of e-mail for one person, without logging in), Auto-Submitted on
every machine-written message, an HTML part beside the text, each link once, and
incentives in words ("2× commission")."""

from __future__ import annotations

import datetime as dt
import email
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from lockstep.core.models import AuditLog, Notification
from lockstep.orgs import notify
from lockstep.orgs import services as org_services
from lockstep.orgs.models import Membership
from lockstep.programs import services
from lockstep.programs.forms import WiifmForm
from lockstep.programs.inputs import TrainingInput, WiifmInput
from lockstep.programs.models import IncentiveKind, Program, ProgramStatus
from tests.conftest import World
from tests.scenarios import complete_plan, make_program

BASE = "https://lockstep.acme.example"


@pytest.fixture(autouse=True)
def installation(settings: Any) -> None:
    settings.BASE_URL = BASE


def go_live(world: World, capture: Any, **wiifm: Any) -> Program:
    program = make_program(world, status=ProgramStatus.READY)
    complete_plan(world, program)
    if wiifm:
        data = WiifmInput(wiifm="Double commission", proof_points="Pilots +30%", **wiifm)
        services.save_wiifm(program=program, acting_user=world.marketer, data=data)
    mail.outbox.clear()
    with capture(execute=True):
        return services.transition(
            program=program, acting_user=world.owner, to="live",
            override_reason="Test", acting_role="owner",
        )  # fmt: skip


def parsed(message: Any) -> EmailMessage:
    result = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    assert isinstance(result, EmailMessage)
    return result


def to(address: str, prefix: str = "") -> Any:
    (message,) = [m for m in mail.outbox if m.to == [address] and m.subject.startswith(prefix)]
    return message


def parts(message: Any) -> dict[str, str]:
    return {
        p.get_content_type(): str(p.get_content())
        for p in parsed(message).walk()
        if not p.is_multipart() and p.get_content_disposition() != "attachment"
    }


def one_click(message: Any) -> str:
    """The path of the List-Unsubscribe URL, after checking the RFC 8058 headers."""
    headers = parsed(message)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(headers["List-Unsubscribe"]).strip()  # long: folded after the colon
    assert url.startswith(f"<{BASE}/email/unsubscribe/") and url.endswith("/>")
    return url[len(BASE) + 1 : -1]


# --- headers and parts ----------------------------------------------------------------------


def test_launch_mail_has_one_click_unsubscribe_html_and_the_link_once(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = go_live(world, django_capture_on_commit_callbacks)
    rep = to("rep@acme.example", "New for you")
    assert parsed(rep)["Auto-Submitted"] == "auto-generated"
    one_click(rep)
    body = parts(rep)
    brief = f"{BASE}/o/acme/programs/{program.pk}/brief/"
    assert body["text/plain"].count(brief) == 1
    assert brief in body["text/html"] and "Read the brief" in body["text/html"]

    leader = to("leader@acme.example")
    assert leader.subject == "Atlas launch is live for 2 of your reps"
    one_click(leader)
    body = parts(leader)
    funnel = f"{BASE}/o/acme/programs/{program.pk}/funnel/"
    assert body["text/plain"].count(funnel) == 1  # the link once, not repeated after it
    assert funnel in body["text/html"] and str(world.rep) in body["text/html"]
    assert parsed(leader)["Auto-Submitted"] == "auto-generated"


def test_invites_and_cancellations_have_html_and_no_unsubscribe(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        item = services.add_training(
            program=program, acting_user=world.marketer,
            data=TrainingInput(kind="live", title="Walkthrough", duration_minutes=30,
                               starts_at=dt.datetime(2027, 1, 12, 9, tzinfo=dt.UTC),
                               join_url="https://meet.example/x"),
        )  # fmt: skip
    invite = to("rep@acme.example", "Invitation: Walkthrough")
    assert "<b>Walkthrough</b>" in parts(invite)["text/html"]
    assert "List-Unsubscribe" not in parsed(invite)  # a meeting, not a newsletter
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_training(item=item, acting_user=world.marketer)
    cancelled = to("rep@acme.example", "Cancelled: Walkthrough")
    assert "cancelled" in parts(cancelled)["text/html"]
    assert parsed(cancelled)["Auto-Submitted"] == "auto-generated"


def test_reminders_carry_one_click_unsubscribe(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    membership = world.membership(world.rep)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify(
            org=world.org, user=world.rep, kind="reminder.brief", title="Read the brief",
            body="Please.", url="/o/acme/", key="r1",
        )  # fmt: skip
    path = one_click(to("rep@acme.example"))
    assert notify.unsubscribe_target(path.split("/")[-2]) == (membership, "reminder")


def test_password_reset_and_invitation_mail_are_marked_auto_generated(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    Client().post("/accounts/password-reset/", {"email": "rep@acme.example"})
    assert parsed(to("rep@acme.example"))["Auto-Submitted"] == "auto-generated"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        org_services.invite_member(
            org=world.org, acting_user=world.owner, email="new@acme.example", role="rep",
            team=world.team,
        )  # fmt: skip
    assert parsed(to("new@acme.example"))["Auto-Submitted"] == "auto-generated"


# --- incentives in words ----------------------------------------------------------------------


def test_a_commission_accelerator_reads_as_a_multiplier(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = go_live(
        world, django_capture_on_commit_callbacks,
        incentive_kind=IncentiveKind.ACCELERATOR, incentive_amount=Decimal("2.00"),
        incentive_currency="",
    )  # fmt: skip
    body = parts(to("rep@acme.example", "New for you"))
    for part in body.values():
        assert "2× commission" in part and "2.00" not in part and "EUR" not in part
    brief = world.client(world.rep).get(reverse("briefs:brief", args=["acme", program.pk]))
    assert "2× commission" in brief.content.decode()


@pytest.mark.parametrize(
    ("kind", "amount", "currency", "reads"),
    [
        (IncentiveKind.ACCELERATOR, "2.00", "EUR", "2× commission"),  # an old row's currency
        (IncentiveKind.ACCELERATOR, "1.50", "", "1.5× commission"),
        (IncentiveKind.SPIFF, "500.00", "EUR", "500 EUR"),
        (IncentiveKind.SPIFF, "1250.50", "USD", "1,250.50 USD"),
        (IncentiveKind.NONE, None, "", ""),
    ],
)
def test_incentive_wording(kind: str, amount: str | None, currency: str, reads: str) -> None:
    program = Program(
        incentive_kind=kind, incentive_amount=Decimal(amount) if amount else None,
        incentive_currency=currency,
    )  # fmt: skip
    assert program.incentive_value == reads


def test_an_accelerator_needs_no_currency_in_the_form() -> None:
    form = WiifmForm(
        {"wiifm": "More money", "incentive_kind": "accelerator", "incentive_amount": "2"}
    )
    assert form.is_valid(), form.errors
    spiff = WiifmForm({"wiifm": "x", "incentive_kind": "spiff", "incentive_amount": "500"})
    assert not spiff.is_valid() and "incentive_currency" in spiff.errors


# --- the one-click unsubscribe link -------------------------------------------------------------


def launch_link(world: World, capture: Any) -> str:
    go_live(world, capture)
    return one_click(to("rep@acme.example", "New for you"))


def test_one_click_post_works_without_a_session_or_csrf_and_turns_off_only_that_kind(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    path = launch_link(world, django_capture_on_commit_callbacks)
    bare = Client(enforce_csrf_checks=True)  # a mail client: no cookie, no CSRF token
    response = bare.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    membership = world.membership(world.rep)
    assert membership.email_off == ["program.launched"]
    assert membership.email_notifications  # everything else still by e-mail
    assert world.membership(world.partner).email_off == []  # only that person
    audit = AuditLog.objects.filter(action="member.notifications_changed", actor=world.rep)
    assert audit.count() == 1
    bare.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert audit.count() == 1  # idempotent
    assert world.membership(world.rep).email_off == ["program.launched"]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for kind, key in (("program.launched", "again"), ("reminder.brief", "r2")):
            notify.notify(org=world.org, user=world.rep, kind=kind, title=kind, key=key)
    assert [m.subject for m in mail.outbox] == ["reminder.brief"]  # only that kind stopped
    assert Notification.objects.filter(user=world.rep, key="again").exists()  # still in-app


def test_get_asks_to_confirm_and_changes_nothing(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    path = launch_link(world, django_capture_on_commit_callbacks)
    page = Client().get(path)
    body = page.content.decode()
    assert page.status_code == 200 and "Stop these e-mails?" in body
    assert '<button type="submit"' in body and "programs that go live for you" in body
    assert world.membership(world.rep).email_off == []


def test_undo_turns_it_back_on(world: World, django_capture_on_commit_callbacks: Any) -> None:
    path = launch_link(world, django_capture_on_commit_callbacks)
    Client().post(path)
    assert "Undo" in Client().post(path).content.decode()
    Client().post(path, {"on": "1"})
    assert world.membership(world.rep).email_off == []


@pytest.mark.parametrize("how", ["altered", "other kind", "made up", "other member"])
def test_a_tampered_link_is_refused(
    world: World, django_capture_on_commit_callbacks: Any, how: str
) -> None:
    path = launch_link(world, django_capture_on_commit_callbacks)
    token = path.split("/")[-2]
    membership = world.membership(world.rep)
    salt = notify.UNSUBSCRIBE_SALT
    bad = {
        "altered": token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"),
        "other kind": signing.dumps([membership.pk, "digest.weekly"], salt=salt, compress=True),
        "made up": "nonsense",
        "other member": signing.dumps(
            [world.membership(world.partner).pk, "program.launched"], salt="another salt"
        ),
    }[how]
    url = reverse("email_unsubscribe", args=[bad])
    assert Client().post(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert not Membership.objects.exclude(email_off=[]).exists()


def test_the_notifications_page_shows_and_changes_the_kinds(world: World) -> None:
    org_services.set_email_kind(
        membership=world.membership(world.rep), kind="reminder", enabled=False
    )
    client = world.client(world.rep)
    url = reverse("orgs:notifications", args=["acme"])
    page = client.get(url).content.decode()
    assert 'value="reminder">' in page and 'value="program.launched" checked' in page
    client.post(url, {"email_form": "1", "email": "on", "kinds": ["reminder"]})
    assert world.membership(world.rep).email_off == ["program.launched", "pulse.opened"]
