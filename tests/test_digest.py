"""The weekly digest: what it says (for a leader, their teams only), when it is sent (Monday
07:00 in the organization's time zone, once per person and week), and the one-click
unsubscribe that works without logging in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from lockstep.core.events import Action, Verb
from lockstep.core.models import AuditLog, Notification
from lockstep.insights import digest as dg
from lockstep.insights import services
from lockstep.insights.models import DigestSubscription
from lockstep.orgs.models import Membership, Organization
from lockstep.programs.models import ProgramStatus, TargetStatus
from lockstep.results.models import Lead, LeadStatus
from tests.conftest import World
from tests.factories import (
    ActivityEventFactory,
    MembershipFactory,
    ProgramFactory,
    TargetFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

PARIS = "Europe/Paris"
MONDAY_7_PARIS = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)  # 07:00 in Paris (CET)


def at(delta: dt.timedelta) -> dt.datetime:
    return MONDAY_7_PARIS + delta


@pytest.fixture
def story(world: World) -> dict[str, Any]:
    """Acme in Paris time: a live program for EMEA (London read the brief, Brightline did
    not; a lead of Brightline waited past its SLA this week), a program in preview waiting
    for the leader's endorsement with a pending target, one launching soon, and a live
    program of another region the leader must never see."""
    Organization.objects.filter(pk=world.org.pk).update(time_zone=PARIS)
    world.org.refresh_from_db()
    now = at(dt.timedelta(hours=1))
    live = ProgramFactory(org=world.org, name="Atlas", status=ProgramStatus.LIVE,
                          audience=[world.region], launched_at=now - dt.timedelta(days=20),
                          launch_date=(now - dt.timedelta(days=20)).date(),
                          end_date=(now + dt.timedelta(days=60)).date())  # fmt: skip
    ActivityEventFactory(program=live, actor=world.rep, verb=Verb.BRIEF_OPENED,
                         occurred_at=now - dt.timedelta(days=3))  # fmt: skip
    Lead.objects.create(org=world.org, external_id="late", program=live, rep=world.partner,
                        created_at=now - dt.timedelta(days=2),
                        sla_due_at=now - dt.timedelta(days=2) + dt.timedelta(hours=4),
                        status=LeadStatus.NEW)  # fmt: skip
    preview = ProgramFactory(org=world.org, name="Copilot", status=ProgramStatus.PREVIEW,
                             audience=[world.region],
                             launch_date=(now + dt.timedelta(days=20)).date())  # fmt: skip
    TargetFactory(program=preview, team=world.team, metric="meetings", value=Decimal(12),
                  status=TargetStatus.PENDING)  # fmt: skip
    elsewhere = TeamFactory(org=world.org, name="APAC")
    hidden = ProgramFactory(org=world.org, name="Tokyo roadshow", status=ProgramStatus.LIVE,
                            audience=[elsewhere], launched_at=now - dt.timedelta(days=5),
                            launch_date=(now - dt.timedelta(days=5)).date())  # fmt: skip
    MembershipFactory(org=world.org, team=elsewhere)
    return {"now": now, "live": live, "preview": preview, "hidden": hidden,
            "elsewhere": elsewhere}  # fmt: skip


# --- when -------------------------------------------------------------------------------------


def test_due_from_monday_seven_in_the_organizations_time_zone_for_one_day(world: World) -> None:
    world.org.time_zone = PARIS
    assert dg.due_week(at(-dt.timedelta(minutes=1)), world.org) is None  # Monday 06:59 Paris
    assert dg.due_week(at(dt.timedelta(0)), world.org) == at(dt.timedelta(0))
    assert dg.due_week(at(dt.timedelta(hours=23, minutes=59)), world.org) is not None
    assert dg.due_week(at(dt.timedelta(days=1)), world.org) is None  # Tuesday 07:00: skipped
    assert dg.next_send(at(dt.timedelta(days=3)), world.org) == at(dt.timedelta(days=7))
    world.org.time_zone = "America/New_York"  # 07:00 in New York is 12:00 UTC
    assert dg.due_week(at(dt.timedelta(hours=5)), world.org) is None
    assert dg.due_week(at(dt.timedelta(hours=6)), world.org) is not None


def send(now: dt.datetime, capture: Any) -> int:
    with capture(execute=True):
        return dg.send_weekly_digests(now)


def test_sent_once_per_person_and_week(
    world: World, story: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    assert send(at(-dt.timedelta(minutes=5)), django_capture_on_commit_callbacks) == 0
    assert send(story["now"], django_capture_on_commit_callbacks) == 1  # the leader
    assert send(story["now"] + dt.timedelta(minutes=15), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.leader.email]
    assert message.subject.startswith("Your week in Lockstep, 30 November")
    assert "2 waiting for you" in message.subject
    note = Notification.objects.get(user=world.leader, kind=dg.KIND)
    assert note.url == reverse("insights:digest", args=[world.org.slug])
    # next week: a new one
    assert send(story["now"] + dt.timedelta(days=7), django_capture_on_commit_callbacks) == 1


def test_the_email_has_text_html_and_one_click_unsubscribe_headers(
    world: World, story: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    send(story["now"], django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    body = str(message.body)
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http") and "/digest/unsubscribe/" in unsubscribe
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in body and unsubscribe.strip("<>") in html
    for part in (body, html):
        assert "Copilot is in preview" in part
        assert "Acknowledge (or dispute) the target of London Enterprise for Copilot: 12" in part
        assert "Atlas" in part and "Brightline" in part
        assert "Tokyo roadshow" not in part and "APAC" not in part


def test_a_leaders_digest_covers_their_teams_only(world: World, story: dict[str, Any]) -> None:
    digest = dg.build_digest(world.membership(world.leader), story["now"])
    assert [line.program.name for line in digest.programs] == ["Atlas"]
    atlas = digest.programs[0]
    assert atlas.late_leads == 1  # Brightline's lead this week
    assert [t.name for t in atlas.behind] == ["Brightline"]  # London read it: score 100
    assert atlas.behind[0].missing.startswith("Informed 0%")
    assert [item.text.split(" ")[0] for item in digest.waiting] == ["Copilot", "Acknowledge"]
    assert [item.text for item in digest.coming] == [
        f"Copilot launches on {story['preview'].launch_date:%-d %B}"]  # fmt: skip
    assert any("talk to Brightline" in line for line in digest.todo)
    assert "Atlas: 1 lead waited past the first-touch SLA this week — check who is overloaded." in (
        digest.todo)  # fmt: skip


def test_the_week_shows_what_changed(world: World, story: dict[str, Any]) -> None:
    digest = dg.build_digest(world.membership(world.leader), story["now"])
    atlas = digest.programs[0]
    assert atlas.before is not None and atlas.score is not None
    assert atlas.change == atlas.score - atlas.before
    assert atlas.change > 0  # London's rep read the brief three days ago


def test_marketers_opt_in_and_see_every_team(
    world: World, story: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    marketer = world.membership(world.marketer)
    assert not dg.is_subscribed(marketer)
    services.set_digest_subscription(membership=marketer, subscribed=True,
                                     acting_user=world.marketer)  # fmt: skip
    digest = dg.build_digest(marketer, story["now"])
    assert {line.program.name for line in digest.programs} == {"Atlas", "Tokyo roadshow"}
    assert digest.waiting == []  # endorsing and acknowledging is the leaders' job
    assert send(story["now"], django_capture_on_commit_callbacks) == 2
    assert {m.to[0] for m in mail.outbox} == {world.leader.email, world.marketer.email}


def test_owners_viewers_and_reps_never_get_it(world: World, story: dict[str, Any]) -> None:
    for key in ("owner", "viewer", "rep", "partner"):
        membership = world.membership(getattr(world, key))
        assert not dg.is_subscribed(membership)
        DigestSubscription.objects.create(org=world.org, membership=membership, subscribed=True)
        membership = Membership.objects.get(pk=membership.pk)
        assert not dg.is_subscribed(membership)


def test_in_the_app_only_for_people_who_turned_email_off(
    world: World, story: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    Membership.objects.filter(user=world.leader).update(email_notifications=False)
    assert send(story["now"], django_capture_on_commit_callbacks) == 1
    assert mail.outbox == []
    assert Notification.objects.filter(user=world.leader, kind=dg.KIND).exists()


def test_an_empty_digest_is_not_sent(world: World, django_capture_on_commit_callbacks: Any) -> None:
    Organization.objects.filter(pk=world.org.pk).update(time_zone=PARIS)
    assert send(at(dt.timedelta(hours=1)), django_capture_on_commit_callbacks) == 0
    assert not Notification.objects.filter(kind=dg.KIND).exists()


def test_the_scheduler_runs_it(world: World) -> None:
    from lockstep.ops.scheduler import PERIODIC_JOBS

    job = next(j for j in PERIODIC_JOBS if j.name == "weekly-digest")
    assert job.run is dg.send_weekly_digests
    assert job.every <= dt.timedelta(minutes=15)


# --- unsubscribe ----------------------------------------------------------------------------


def unsubscribe_path(membership: Membership) -> str:
    return reverse("digest_unsubscribe", args=[dg.unsubscribe_token(membership)])


def test_the_link_asks_before_it_unsubscribes_without_logging_in(world: World) -> None:
    leader = world.membership(world.leader)
    client = world.client(None)
    page = client.get(unsubscribe_path(leader))
    assert page.status_code == 200
    assert "Stop the weekly digest?" in page.content.decode()
    assert dg.is_subscribed(leader)  # a GET (a link scanner) changes nothing
    done = client.post(unsubscribe_path(leader))
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    leader = Membership.objects.get(pk=leader.pk)
    assert not dg.is_subscribed(leader)
    audit = AuditLog.objects.get(action=Action.DIGEST_UNSUBSCRIBED)
    assert audit.actor == world.leader and "one-click link" in audit.note


def test_a_mail_client_unsubscribes_with_one_post_and_no_csrf_token(world: World) -> None:
    from django.test import Client

    leader = world.membership(world.leader)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        unsubscribe_path(leader), "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert response.status_code == 200
    assert not dg.is_subscribed(Membership.objects.get(pk=leader.pk))


def test_a_forged_link_does_nothing(world: World) -> None:
    leader = world.membership(world.leader)
    token = dg.unsubscribe_token(leader)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    client = world.client(None)
    for path in (reverse("digest_unsubscribe", args=[forged]),
                 reverse("digest_unsubscribe", args=["nonsense"])):  # fmt: skip
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    assert dg.is_subscribed(Membership.objects.get(pk=leader.pk))


def test_after_unsubscribing_no_digest_comes(
    world: World, story: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    world.client(None).post(unsubscribe_path(world.membership(world.leader)))
    assert send(story["now"], django_capture_on_commit_callbacks) == 0


# --- the page ---------------------------------------------------------------------------------


def test_the_digest_page_shows_the_last_one_sent_and_switches_the_subscription(
    world: World, story: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    url = reverse("insights:digest", args=[world.org.slug])
    client = world.client(world.leader)
    assert 'data-testid="digest-none"' in client.get(url).content.decode()
    send(story["now"], django_capture_on_commit_callbacks)
    html = client.get(url).content.decode()
    assert "Your week in Lockstep, 30 November" in html
    assert 'data-testid="digest-program"' in html and "Atlas" in html
    assert "Tokyo roadshow" not in html
    with time_machine.travel(story["now"], tick=False):
        preview = world.client(world.leader).get(url, {"preview": "now"}).content.decode()
    assert "What it would say now" in preview and "Copilot is in preview" in preview
    assert "Unsubscribe" in html
    assert client.post(url, {"subscribed": "0"}).status_code == 302
    assert not dg.is_subscribed(Membership.objects.get(user=world.leader, org=world.org))
    assert "Send it to me every Monday" in client.get(url).content.decode()
    assert client.post(url, {"subscribed": "maybe"}).status_code in (302, 400)
    for key in ("rep", "viewer", "owner"):
        assert world.client(getattr(world, key)).get(url).status_code == 403
    marketer = world.client(world.marketer)
    assert marketer.post(url, {"subscribed": "1"}).status_code == 302
    assert AuditLog.objects.filter(action=Action.DIGEST_SUBSCRIBED, actor=world.marketer).exists()
