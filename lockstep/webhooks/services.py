"""Outbound webhooks: registering them, turning activity events into deliveries, sending
them signed, retrying with exponential back-off, and disabling a webhook that keeps failing.

No domain service knows webhooks exist: deliveries are read from the one activity-event
table (`core.ActivityEvent`) with a cursor per webhook (an outbox), by `deliver_due`, which
`lockstep remind` (the scheduler) runs, and which a background task runs right after a
request changed something in an organization that has webhooks (`webhooks.middleware`)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.events import Action, Verb
from lockstep.core.models import ActivityEvent
from lockstep.core.permissions import Role
from lockstep.core.services import record_audit
from lockstep.core.tasks import send_email
from lockstep.orgs.models import Membership, Organization
from lockstep.webhooks import sender
from lockstep.webhooks.events import EVENT_TYPES, LABELS, TYPE_OF_VERB
from lockstep.webhooks.inputs import WebhookInput
from lockstep.webhooks.models import Delivery, DeliveryStatus, Format, Webhook
from lockstep.webhooks.signing import signature

# Events are numbered when written and become visible when their transaction commits, so
# a later number can be visible before an earlier one. Each scan looks this many numbers
# back past the cursor; the (webhook, event) constraint keeps deliveries unique.
LOOKBACK = 500
BATCH = 200
LEASE = dt.timedelta(minutes=5)  # a claimed delivery is left alone this long
MAX_BACKOFF = dt.timedelta(hours=6)


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd … failed attempt, at most 6 hours."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


# --- registering -------------------------------------------------------------------------


def _fields(webhook: Webhook) -> dict[str, Any]:
    return {
        "url": webhook.url,
        "events": list(webhook.events),
        "format": webhook.format,
        "allow_private": webhook.allow_private,
        "active": webhook.active,
    }


@transaction.atomic
def create_webhook(*, org: Organization, acting_user: User, data: WebhookInput) -> Webhook:
    """A new webhook starts after the newest event: it never replays history."""
    newest = ActivityEvent.objects.for_org(org).aggregate(n=Max("id"))["n"] or 0
    webhook = Webhook.objects.create(
        org=org,
        url=data.url,
        events=list(data.events),
        format=data.format,
        description=data.description,
        allow_private=data.allow_private,
        active=data.active,
        secret="whsec_" + secrets.token_urlsafe(32),
        last_event_id=newest,
        start_event_id=newest,
        created_by=acting_user,
    )
    record_audit(
        org=org,
        acting_user=acting_user,
        action=Action.WEBHOOK_CREATED,
        obj=webhook,
        changes={k: [None, v] for k, v in _fields(webhook).items()},
    )
    return webhook


@transaction.atomic
def update_webhook(*, webhook: Webhook, acting_user: User, data: WebhookInput) -> None:
    before = _fields(webhook)
    webhook.url, webhook.events, webhook.format = data.url, list(data.events), data.format
    webhook.description, webhook.allow_private = data.description, data.allow_private
    if data.active and not webhook.active:  # re-enabled: start afresh
        webhook.consecutive_failures = 0
        webhook.disabled_reason = ""
        webhook.last_event_id = max(
            webhook.last_event_id,
            ActivityEvent.objects.for_org(webhook.org).aggregate(n=Max("id"))["n"] or 0,
        )
        webhook.start_event_id = webhook.last_event_id
    webhook.active = data.active
    webhook.save()
    after = _fields(webhook)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        record_audit(
            org=webhook.org,
            acting_user=acting_user,
            action=Action.WEBHOOK_CHANGED,
            obj=webhook,
            changes=changes,
        )


@transaction.atomic
def delete_webhook(*, webhook: Webhook, acting_user: User) -> None:
    record_audit(
        org=webhook.org, acting_user=acting_user, action=Action.WEBHOOK_DELETED, obj=webhook
    )
    webhook.delete()


@transaction.atomic
def rotate_secret(*, webhook: Webhook, acting_user: User) -> str:
    webhook.secret = "whsec_" + secrets.token_urlsafe(32)
    webhook.save(update_fields=["secret"])
    record_audit(
        org=webhook.org,
        acting_user=acting_user,
        action=Action.WEBHOOK_CHANGED,
        obj=webhook,
        note="secret rotated",
    )
    return webhook.secret


# --- from events to deliveries ---------------------------------------------------------


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.full_name}


def _text(event_type: str, event: ActivityEvent, data: dict[str, Any]) -> str:
    who = (data["actor"] or {}).get("name") or (data["actor"] or {}).get("email") or "Someone"
    program = (data["program"] or {}).get("name", "")
    subject = f" for {program}" if program else ""
    if event_type == "pulse.answered" and data["actor"] is None:
        who = "A rep"
    return f"{LABELS[event_type]}{subject}: {who}."


def envelope(event: ActivityEvent, event_type: str, delivery_id: str) -> dict[str, Any]:
    """What a receiver gets. An anonymous pulse answer names nobody (PRODUCT.md)."""
    program = event.program
    anonymous = (
        event.verb == Verb.PULSE_ANSWERED and program is not None and program.pulse_anonymous
    )
    data: dict[str, Any] = {
        "program": {"id": program.pk, "name": program.name} if program else None,
        "actor": None if anonymous else _person(event.actor),
        "object": None
        if anonymous or not event.object_type
        else {"type": event.object_type, "id": event.object_id},
        "details": {} if anonymous else event.payload,
    }
    return {
        "id": delivery_id,
        "type": event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "organization": {"slug": event.org.slug, "name": event.org.name},
        "data": data,
        "text": _text(event_type, event, data),
    }


def collect(webhook: Webhook, now: dt.datetime | None = None) -> list[int]:
    """New deliveries for one webhook's subscribed events since its cursor."""
    verbs = [EVENT_TYPES[name].value for name in webhook.events if name in EVENT_TYPES]
    created: list[int] = []
    with transaction.atomic():
        locked = Webhook.objects.select_for_update().filter(pk=webhook.pk, active=True).first()
        if locked is None or not verbs:
            return []
        start = max(locked.last_event_id - LOOKBACK, locked.start_event_id, 0)
        done = Delivery.objects.filter(webhook=locked, event_id__gt=start).values("event_id")
        events = list(
            ActivityEvent.objects.filter(org_id=locked.org_id, pk__gt=start, verb__in=verbs)
            .exclude(pk__in=done)
            .select_related("program", "actor", "org")
            .order_by("pk")[:BATCH]
        )
        for event in events:
            delivery = Delivery(
                org_id=locked.org_id,
                webhook=locked,
                event=event,
                event_type=TYPE_OF_VERB[event.verb],
                next_attempt_at=now or timezone.now(),
            )
            delivery.payload = envelope(event, delivery.event_type, str(delivery.delivery_id))
            delivery.save()
            created.append(delivery.pk)
        newest = max([locked.last_event_id, *[e.pk for e in events]])
        Webhook.objects.filter(pk=locked.pk).update(last_event_id=newest)
    return created


# --- sending ---------------------------------------------------------------------------


def body_of(delivery: Delivery) -> bytes:
    payload = delivery.payload
    if delivery.webhook.format == Format.SLACK:
        payload = {"text": payload.get("text", "")}
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def send(delivery_id: int, now: dt.datetime | None = None) -> bool:
    """Attempt one delivery if it is due and nobody else holds it; True if delivered."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return False
    delivery = Delivery.objects.select_related("webhook__org").get(pk=delivery_id)
    webhook = delivery.webhook
    body = body_of(delivery)
    stamp = int(time.time())
    headers = {
        "X-Lockstep-Delivery": str(delivery.delivery_id),
        "X-Lockstep-Event": delivery.event_type,
        "X-Lockstep-Timestamp": str(stamp),
        "X-Lockstep-Signature": signature(webhook.secret, stamp, body),
    }
    answer = sender.post(
        webhook.url,
        body,
        headers,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_private=webhook.allow_private,
    )
    _record(delivery, answer, now)
    return answer.ok


def _record(delivery: Delivery, answer: sender.Answer, now: dt.datetime) -> None:
    delivery.attempts += 1
    delivery.last_status_code = answer.status
    delivery.last_error = answer.error[:300]
    webhook = delivery.webhook
    if answer.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=0)
    else:
        refused = answer.status is None and "refused" in answer.error.lower()
        if refused or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        Webhook.objects.filter(pk=webhook.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
    delivery.save()
    if not answer.ok:
        _maybe_disable(webhook.pk)


def _maybe_disable(webhook_id: int) -> None:
    with transaction.atomic():
        webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
        if not webhook.active or webhook.consecutive_failures < settings.WEBHOOK_DISABLE_AFTER:
            return
        webhook.active = False
        webhook.disabled_reason = (
            f"Disabled after {webhook.consecutive_failures} failed deliveries in a row."
        )
        webhook.save(update_fields=["active", "disabled_reason"])
        record_audit(
            org=webhook.org,
            acting_user=None,
            action=Action.WEBHOOK_DISABLED,
            obj=webhook,
            note=webhook.disabled_reason,
        )
        Delivery.objects.filter(webhook=webhook, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, last_error="The webhook was disabled."
        )
        to = _owner_emails(webhook)
        subject = f"Lockstep disabled a webhook of {webhook.org.name}"
        text = (
            f"The webhook to {webhook.url} failed {webhook.consecutive_failures} times in a "
            "row, so Lockstep stopped sending to it. Fix the receiver, then switch the webhook "
            "back on from the Webhooks page (organization settings)."
        )
        key = f"webhook-disabled:{webhook.pk}:{timezone.now():%Y%m%d%H%M}"
        org_id = webhook.org_id
        transaction.on_commit(
            lambda: send_email.enqueue(to, subject, text, "", key, org_id) if to else None
        )


def _owner_emails(webhook: Webhook) -> list[str]:
    owners = Membership.objects.for_org(webhook.org).filter(role=Role.OWNER)
    emails = [m.user.email for m in owners.select_related("user")]
    if webhook.created_by is not None and webhook.created_by.email not in emails:
        emails.insert(0, webhook.created_by.email)
    return emails


def deliver_due(now: dt.datetime | None = None, org_id: int | None = None) -> int:
    """Turn new events into deliveries and send every delivery that is due (first tries
    and retries). Safe to run concurrently and as often as you like. Returns how many
    deliveries succeeded."""
    now = now or timezone.now()
    webhooks = Webhook.objects.filter(active=True)
    if org_id is not None:
        webhooks = webhooks.filter(org_id=org_id)
    for webhook in webhooks:
        collect(webhook, now)
    due = Delivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now, webhook__active=True
    )
    if org_id is not None:
        due = due.filter(org_id=org_id)
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:BATCH])
    return sum(send(pk, now) for pk in ids)


def has_webhooks(org_id: int) -> bool:
    return Webhook.objects.filter(org_id=org_id, active=True).exists()
