"""Notify a person in the app and, if they want it, by e-mail (sent by the worker).

Every notification has a key; the same key is never notified twice to the same person,
and the e-mail task records the key too, so reminders and retried tasks are idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.models import Notification
from lockstep.core.tasks import send_email
from lockstep.orgs.models import Membership, Organization


def absolute_url(path: str) -> str:
    """A link for e-mails and printed output: the configured public base URL + path."""
    return f"{settings.BASE_URL}{path}"


def queue_email(
    *,
    org: Organization,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    key: str,
    attachments: list[dict[str, Any]] | None = None,
) -> None:
    """Queue an e-mail once the current transaction commits; `key` (with the recipient)
    makes it send once."""
    once = f"{key}|{to.lower()}"
    transaction.on_commit(
        lambda: send_email.enqueue(
            [to], subject, text, html, key=once, org_id=org.pk, attachments=attachments
        )
    )


def notify(
    *,
    org: Organization,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    key: str,
    html: str = "",
    attachments: list[dict[str, Any]] | None = None,
) -> Notification | None:
    """Returns None when this key was already notified to this person."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                org=org, user=user, kind=kind, key=key[:200], title=title[:200], body=body, url=url
            )
    except IntegrityError:
        return None
    membership = Membership.objects.for_org(org).filter(user=user).first()
    if membership is not None and membership.email_notifications:
        text = f"{body}\n\n{absolute_url(url)}\n" if url else body
        queue_email(
            org=org, to=user.email, subject=title, text=text, html=html, key=key,
            attachments=attachments,
        )  # fmt: skip
    return notification


def mark_all_read(*, org: Organization, user: User) -> int:
    return (
        Notification.objects.for_org(org)
        .filter(user=user, read_at__isnull=True)
        .update(read_at=timezone.now())
    )
