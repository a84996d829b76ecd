"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: signed JSON a receiver can
verify, retries with exponential back-off under one delivery id, SSRF protection, switching
off after repeated failures (and telling the owners), the Slack format, anonymity, and
delivery right after a request through the middleware."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from lockstep.accounts.services import create_token
from lockstep.briefs.services import acknowledge_brief
from lockstep.core.events import Verb
from lockstep.core.services import emit_event
from lockstep.feedback import services as feedback
from lockstep.programs import services as programs
from lockstep.programs.models import ProgramStatus
from lockstep.results.services import reject_leads
from lockstep.webhooks import sender
from lockstep.webhooks.events import EVENT_TYPES
from lockstep.webhooks.inputs import WebhookInput
from lockstep.webhooks.models import Delivery, DeliveryStatus, Webhook
from lockstep.webhooks.services import backoff, create_webhook, deliver_due
from lockstep.webhooks.signing import signature, verify
from tests.conftest import World
from tests.factories import LeadFactory, ProgramFactory, PulseRoundFactory, Stock


class Receiver:
    """A threaded HTTP server on 127.0.0.1 recording what it receives; it answers with the
    status codes queued in `answers` (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/lockstep?x=1"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def hook(world: World, url: str, events: list[str] | None = None, **kw: Any) -> Webhook:
    """The receiver's webhook; the stock's own (to an address nobody serves) is switched off."""
    Webhook.objects.update(active=False)
    data = WebhookInput(
        url=url, events=tuple(events or list(EVENT_TYPES)), allow_private=True, **kw
    )
    return create_webhook(org=world.org, acting_user=world.owner, data=data)


def test_a_delivery_is_signed_and_verifiable(stock: Stock, receiver: Receiver) -> None:
    world = stock.world
    webhook = hook(world, receiver.url, ["brief.acknowledged"])
    acknowledge_brief(program=stock.program, user=world.rep)
    assert deliver_due() == 1
    (request,) = receiver.requests
    headers = request["headers"]
    assert verify(
        webhook.secret, headers["X-Lockstep-Timestamp"], request["body"],
        headers["X-Lockstep-Signature"], now=time.time(),
    )  # fmt: skip
    assert not verify("whsec_wrong", headers["X-Lockstep-Timestamp"], request["body"],
                      headers["X-Lockstep-Signature"], now=time.time())  # fmt: skip
    stale = time.time() + 600
    assert not verify(webhook.secret, headers["X-Lockstep-Timestamp"], request["body"],
                      headers["X-Lockstep-Signature"], now=stale)  # fmt: skip
    payload = json.loads(request["body"])
    assert payload["type"] == headers["X-Lockstep-Event"] == "brief.acknowledged"
    assert payload["id"] == headers["X-Lockstep-Delivery"]
    assert payload["data"]["program"]["id"] == stock.program.pk
    assert payload["data"]["actor"]["email"] == world.rep.email
    assert payload["organization"]["slug"] == "acme"
    delivery = Delivery.objects.get(webhook__url=receiver.url)
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 200)
    assert deliver_due() == 0 and len(receiver.requests) == 1  # nothing twice


def test_events_before_the_webhook_existed_are_not_replayed(
    stock: Stock, receiver: Receiver
) -> None:
    acknowledge_brief(program=stock.program, user=stock.world.rep)
    hook(stock.world, receiver.url, ["brief.acknowledged"])
    assert deliver_due() == 0 and not receiver.requests


def test_failures_are_retried_with_back_off_under_one_delivery_id(
    stock: Stock, receiver: Receiver
) -> None:
    hook(stock.world, receiver.url, ["brief.acknowledged"])
    acknowledge_brief(program=stock.program, user=stock.world.rep)
    receiver.answers = [503, 500]
    start = timezone.now()
    assert deliver_due(start) == 0
    delivery = Delivery.objects.get(webhook__url=receiver.url)
    assert delivery.next_attempt_at == start + dt.timedelta(minutes=1)
    assert deliver_due(start + dt.timedelta(seconds=30)) == 0  # not due yet
    assert deliver_due(start + dt.timedelta(seconds=61)) == 0
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status_code == 500
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=61, minutes=2)
    assert deliver_due(start + dt.timedelta(minutes=4)) == 1
    ids = {r["headers"]["X-Lockstep-Delivery"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and ids == {str(delivery.delivery_id)}
    bodies = {r["body"] for r in receiver.requests}
    assert len(bodies) == 1  # the same bytes each time: only the timestamp header moves


def test_back_off_doubles_and_gives_up(stock: Stock, receiver: Receiver, settings: Any) -> None:
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 16]
    assert backoff(30) == dt.timedelta(hours=6)
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    hook(stock.world, receiver.url, ["brief.acknowledged"])
    acknowledge_brief(program=stock.program, user=stock.world.rep)
    receiver.answers = [500, 500, 500]
    now = timezone.now()
    deliver_due(now)
    deliver_due(now + dt.timedelta(minutes=2))
    assert Delivery.objects.get(webhook__url=receiver.url).status == DeliveryStatus.FAILED
    assert deliver_due(now + dt.timedelta(hours=1)) == 0 and len(receiver.requests) == 2


def test_private_and_loopback_addresses_are_refused_unless_allowed(
    stock: Stock, receiver: Receiver
) -> None:
    world = stock.world
    _, token = create_token(membership=world.membership(world.owner), name="t")
    for url in ("http://127.0.0.1:8000/x", "http://localhost/x", "http://10.1.2.3/",
                "http://169.254.169.254/latest", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
                "ftp://files.example.com/"):  # fmt: skip
        response = Client().post(
            "/api/v1/webhooks", data=json.dumps({"url": url, "events": ["check.passed"]}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip
        assert response.status_code == 400, url
        assert response.json()["errors"][0]["field"] == "url"
        assert sender.literal_host_refusal(url, allow_private=False), url
    # A webhook switched from allowed to not allowed is refused at delivery time too.
    webhook = hook(world, receiver.url, ["brief.acknowledged"])
    Webhook.objects.filter(pk=webhook.pk).update(allow_private=False)
    acknowledge_brief(program=stock.program, user=world.rep)
    assert deliver_due() == 0 and not receiver.requests
    delivery = Delivery.objects.get(webhook=webhook)
    assert delivery.status == DeliveryStatus.FAILED and "refused" in delivery.last_error.lower()


def test_a_webhook_that_keeps_failing_is_switched_off_and_owners_told(
    stock: Stock, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WEBHOOK_DISABLE_AFTER = 2
    world = stock.world
    webhook = hook(world, receiver.url, ["question.asked"])
    for body in ("One?", "Two?"):
        feedback.ask_question(program=stock.program, user=world.rep, body=body)
    receiver.answers = [500] * 5
    with django_capture_on_commit_callbacks(execute=True):
        deliver_due()
    webhook.refresh_from_db()
    assert not webhook.active and "2 failed deliveries" in webhook.disabled_reason
    assert [m.to for m in mail.outbox] == [[world.owner.email]]
    assert "disabled" in mail.outbox[0].subject
    feedback.ask_question(program=stock.program, user=world.rep, body="Three?")
    assert deliver_due() == 0 and len(receiver.requests) == 2


def test_slack_format_is_a_text_message(stock: Stock, receiver: Receiver) -> None:
    hook(stock.world, receiver.url, ["question.asked"], format="slack")
    feedback.ask_question(program=stock.program, user=stock.world.rep, body="Demo script?")
    deliver_due()
    (body,) = receiver.bodies()
    assert set(body) == {"text"} and stock.program.name in body["text"]
    headers = receiver.requests[0]["headers"]
    assert headers["X-Lockstep-Signature"] == signature(
        Webhook.objects.get(url=receiver.url).secret, int(headers["X-Lockstep-Timestamp"]),
        receiver.requests[0]["body"],
    )  # fmt: skip


def test_an_anonymous_pulse_answer_names_nobody(stock: Stock, receiver: Receiver) -> None:
    stock.program.pulse_anonymous = True
    stock.program.save(update_fields=["pulse_anonymous"])
    hook(stock.world, receiver.url, ["pulse.answered"])
    feedback.answer_pulse(
        pulse_round=stock.pulse_round, membership=stock.rep_membership,
        scores={"understand": 2, "helps": 2, "next_steps": 2}, comment="meh",
    )  # fmt: skip
    deliver_due()
    (body,) = receiver.bodies()
    assert body["type"] == "pulse.answered"
    assert body["data"]["actor"] is None and body["data"]["details"] == {}
    assert stock.world.rep.email not in json.dumps(body)


def test_every_event_type_is_delivered(stock: Stock, receiver: Receiver) -> None:
    """Each event type comes from the verb its domain service writes."""
    world = stock.world
    hook(world, receiver.url)
    draft = ProgramFactory(org=world.org, status=ProgramStatus.READY, audience=[world.region])
    programs.transition(program=draft, acting_user=world.owner, to=ProgramStatus.LIVE,
                        override_reason="Board decision", acting_role="owner")  # fmt: skip
    programs.transition(program=draft, acting_user=world.owner, to=ProgramStatus.CLOSED)
    acknowledge_brief(program=stock.program, user=world.rep)
    question = feedback.ask_question(program=stock.program, user=world.rep, body="Q?")
    feedback.answer_question(question=question, acting_user=world.marketer, answer="A.")
    feedback.answer_pulse(
        pulse_round=PulseRoundFactory(program=stock.program), membership=stock.rep_membership,
        scores={"understand": 5, "helps": 5, "next_steps": 5}, comment="",
    )  # fmt: skip
    reject_leads(leads=[stock.lead], user=world.rep, reason=stock.reason, comment="")
    lead = LeadFactory(org=world.org, rep=world.rep)
    emit_event(org=world.org, actor=None, verb=Verb.LEAD_SLA_BREACHED, obj=lead)
    attempt = stock.attempt
    emit_event(org=world.org, actor=world.rep, verb=Verb.CHECK_PASSED,
               program_id=stock.program.pk, obj=attempt)  # fmt: skip
    deliver_due()
    assert {b["type"] for b in receiver.bodies()} == set(EVENT_TYPES)


def test_a_request_that_changes_something_queues_delivery_on_commit(
    stock: Stock, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook(stock.world, receiver.url, ["brief.acknowledged"])
    _, token = create_token(membership=stock.rep_membership, name="phone")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            f"/api/v1/programs/{stock.program.pk}/brief/acknowledge",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 200
    assert [b["type"] for b in receiver.bodies()] == ["brief.acknowledged"]


def test_the_webhooks_page_shows_the_delivery_log(stock: Stock, receiver: Receiver) -> None:
    world = stock.world
    owner = world.client(world.owner)
    created = owner.post(
        "/o/acme/webhooks/",
        {"url": receiver.url, "events": ["question.asked"], "format": "json",
         "allow_private": "on", "active": "on"},
    )  # fmt: skip
    assert created.status_code == 302
    webhook = Webhook.objects.get(url=receiver.url)
    Webhook.objects.exclude(pk=webhook.pk).update(active=False)
    feedback.ask_question(program=stock.program, user=world.rep, body="Q?")
    receiver.answers = [418]
    deliver_due()
    page = owner.get(f"/o/acme/webhooks/?webhook={webhook.pk}").content.decode()
    assert "418" in page and "question.asked" in page and webhook.secret in page
    refused = owner.post("/o/acme/webhooks/", {"url": "http://127.0.0.1/", "events": ["check.passed"],
                                               "format": "json"})  # fmt: skip
    assert refused.status_code == 400
    owner.post("/o/acme/webhooks/", {"action": "toggle", "webhook": webhook.pk})
    webhook.refresh_from_db()
    assert not webhook.active
    assert world.client(world.marketer).get("/o/acme/webhooks/").status_code == 403
