"""Outbound webhooks (owners): register addresses per event type, read the delivery log."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from lockstep.api.auth import caller
from lockstep.api.common import (
    Id,
    bound,
    cursor_param,
    endpoint,
    limit_param,
    next_cursor_field,
    page,
)
from lockstep.api.schemas import Input
from lockstep.core.permissions import Perm
from lockstep.webhooks import services
from lockstep.webhooks.access import access_webhook
from lockstep.webhooks.forms import WebhookForm
from lockstep.webhooks.models import Delivery, Webhook

router = Router(tags=["webhooks"])

EventName = Literal[
    "program.launched",
    "program.closed",
    "brief.acknowledged",
    "check.passed",
    "pulse.answered",
    "question.asked",
    "question.answered",
    "lead.sla_breached",
    "lead.rejected",
]


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    format: Literal["json", "slack"]
    description: str
    allow_private: bool
    active: bool
    disabled_reason: str
    consecutive_failures: int
    secret: str = Field(description="The HMAC-SHA256 key: verify X-Lockstep-Signature with it.")
    created_at: dt.datetime


class WebhookList(Schema):
    items: list[WebhookOut]


class WebhookIn(Input):
    url: str = Field(
        min_length=1, max_length=500, examples=["https://crm.example.com/hooks/lockstep"]
    )
    events: list[EventName] = Field(min_length=1, max_length=9)
    format: Literal["json", "slack"] = "json"
    description: str = Field("", max_length=200)
    allow_private: bool = Field(
        False, description="Allow loopback and private addresses (refused otherwise: SSRF)."
    )
    active: bool = True


class WebhookPatch(Input):
    url: str | None = Field(None, min_length=1, max_length=500)
    events: list[EventName] | None = Field(None, min_length=1, max_length=9)
    format: Literal["json", "slack"] | None = None
    description: str | None = Field(None, max_length=200)
    allow_private: bool | None = None
    active: bool | None = Field(None, description="Switch a disabled webhook back on.")


def webhook_out(w: Webhook) -> dict[str, Any]:
    return {
        "id": w.pk,
        "url": w.url,
        "events": list(w.events),
        "format": w.format,
        "description": w.description,
        "allow_private": w.allow_private,
        "active": w.active,
        "disabled_reason": w.disabled_reason,
        "consecutive_failures": w.consecutive_failures,
        "secret": w.secret,
        "created_at": w.created_at,
    }


@endpoint(router.get, "/webhooks", Perm.MANAGE_ORG, WebhookList, summary="Your webhooks")
def list_webhooks(request: HttpRequest) -> Any:
    m = caller(request)
    return {"items": [webhook_out(w) for w in Webhook.objects.for_org(m.org)]}


@endpoint(
    router.post,
    "/webhooks",
    Perm.MANAGE_ORG,
    WebhookOut,
    status=201,
    summary="Register an address for some event types",
)
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Any:
    m = caller(request)
    form = bound(WebhookForm, payload.model_dump())
    webhook = services.create_webhook(org=m.org, acting_user=m.user, data=form.to_input())
    return Status(201, webhook_out(webhook))


@endpoint(router.get, "/webhooks/{webhook_id}", Perm.MANAGE_ORG, WebhookOut, summary="One webhook")
def get_webhook(request: HttpRequest, webhook_id: int = Id()) -> Any:
    return webhook_out(access_webhook(caller(request), webhook_id))


@endpoint(
    router.patch,
    "/webhooks/{webhook_id}",
    Perm.MANAGE_ORG,
    WebhookOut,
    summary="Change a webhook (or switch it back on)",
)
def patch_webhook(request: HttpRequest, payload: WebhookPatch, webhook_id: int = Id()) -> Any:
    m = caller(request)
    webhook = access_webhook(m, webhook_id)
    current = {
        "url": webhook.url,
        "events": list(webhook.events),
        "format": webhook.format,
        "description": webhook.description,
        "allow_private": webhook.allow_private,
        "active": webhook.active,
    }
    data = {**current, **payload.model_dump(exclude_none=True)}
    form = bound(WebhookForm, data)
    services.update_webhook(webhook=webhook, acting_user=m.user, data=form.to_input())
    return webhook_out(access_webhook(m, webhook_id))


@endpoint(
    router.delete,
    "/webhooks/{webhook_id}",
    Perm.MANAGE_ORG,
    None,
    status=204,
    summary="Delete a webhook and its delivery log",
)
def delete_webhook(request: HttpRequest, webhook_id: int = Id()) -> Any:
    m = caller(request)
    services.delete_webhook(webhook=access_webhook(m, webhook_id), acting_user=m.user)
    return Status(204, None)


class DeliveryOut(Schema):
    id: int
    delivery_id: str = Field(description="Sent as X-Lockstep-Delivery; the same on retries.")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None = next_cursor_field()


@endpoint(
    router.get,
    "/webhooks/{webhook_id}/deliveries",
    Perm.MANAGE_ORG,
    DeliveryPage,
    summary="The delivery log: status, attempts and response codes",
)
def deliveries(
    request: HttpRequest,
    webhook_id: int = Id(),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    webhook = access_webhook(caller(request), webhook_id)
    return page(
        Delivery.objects.filter(webhook=webhook),
        cursor,
        limit,
        lambda d: {
            "id": d.pk,
            "delivery_id": str(d.delivery_id),
            "event_type": d.event_type,
            "status": d.status,
            "attempts": d.attempts,
            "last_status_code": d.last_status_code,
            "last_error": d.last_error,
            "next_attempt_at": d.next_attempt_at,
            "created_at": d.created_at,
            "delivered_at": d.delivered_at,
        },
    )
