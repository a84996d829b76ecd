"""Notify a person in the app and, if they want it, by e-mail (sent by the worker).

Every notification has a key; the same key is never notified twice to the same person,
and the e-mail task records the key too, so reminders and retried tasks are idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.models import Notification
from lockstep.core.tasks import send_email
from lockstep.orgs.models import Membership, Organization


def absolute_url(path: str) -> str:
    """A link for e-mails and printed output: the configured public base URL + path."""
    return f"{settings.BASE_URL}{path}"


# --- kinds of e-mail a person can turn off with one click (RFC 8058) ---------------------

# A notification's kind (or its first part: `reminder.brief` → `reminder`) → what the
# person turns off, in words. Other kinds (answers to one's own question, SLA breaches,
# invites) are not bulk mail; the weekly digest has its own subscription (insights.digest).
MAIL_KINDS = {
    "program.launched": "announcements of programs that go live for you",
    "reminder": "reminders to read briefs, train and pass knowledge checks",
    "pulse.opened": "pulse survey requests",
}
UNSUBSCRIBE_SALT = "lockstep.orgs.notify.unsubscribe"


def mail_kind(kind: str) -> str | None:
    """The kind of e-mail a notification kind belongs to, if a person can turn it off."""
    for candidate in (kind, kind.split(".")[0]):
        if candidate in MAIL_KINDS:
            return candidate
    return None


def unsubscribe_url(membership: Membership, kind: str) -> str:
    """A signed link (no log-in) that turns off this kind of e-mail for this member."""
    token = signing.dumps([membership.pk, kind], salt=UNSUBSCRIBE_SALT, compress=True)
    return absolute_url(reverse("email_unsubscribe", args=[token]))


def unsubscribe_target(token: str) -> tuple[Membership, str] | None:
    """The member and kind a link was made for; None for a forged, altered or stale link."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    match value:
        case [int(pk), str(kind)] if kind in MAIL_KINDS:
            membership = Membership.objects.select_related("org", "user").filter(pk=pk).first()
            return (membership, kind) if membership is not None else None
    return None


def unsubscribe_headers(membership: Membership, kind: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click`."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(membership, kind)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def wants_email(membership: Membership, kind: str) -> bool:
    off = mail_kind(kind)
    return membership.email_notifications and (off is None or off not in membership.email_off)


def link_or_nothing(url: str) -> str:
    """A notification links to a page of this site (a path) or an http(s) address; anything
    else (javascript:, data:, //other-host) is dropped rather than rendered as a link."""
    url = url.strip()
    if url.startswith("/") and not url.startswith(("//", "/\\")):
        return url
    return url if url.lower().startswith(("https://", "http://")) else ""


def queue_email(
    *,
    org: Organization,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    key: str,
    attachments: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    alternatives: list[dict[str, str]] | None = None,
) -> None:
    """Queue an e-mail once the current transaction commits; `key` (with the recipient)
    makes it send once."""
    once = f"{key}|{to.lower()}"
    extra: dict[str, Any] = {"headers": headers} if headers else {}
    if alternatives:
        extra["alternatives"] = alternatives
    transaction.on_commit(
        lambda: send_email.enqueue(
            [to], subject, text, html, key=once, org_id=org.pk, attachments=attachments, **extra
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
    email_text: str = "",
    headers: dict[str, str] | None = None,
) -> Notification | None:
    """Returns None when this key was already notified to this person. The e-mail copy's
    text is `email_text` when given (else the body and the link); `headers` are added to
    it. Kinds a person can turn off (`MAIL_KINDS`) carry a one-click List-Unsubscribe, and
    are not e-mailed to a person who turned them off."""
    url = link_or_nothing(url)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                org=org, user=user, kind=kind, key=key[:200], title=title[:200], body=body, url=url
            )
    except IntegrityError:
        return None
    membership = Membership.objects.for_org(org).filter(user=user).first()
    if membership is not None and wants_email(membership, kind):
        text = email_text or (f"{body}\n\n{absolute_url(url)}\n" if url else body)
        off = mail_kind(kind)
        if off is not None:
            headers = {**unsubscribe_headers(membership, off), **(headers or {})}
        queue_email(
            org=org, to=user.email, subject=title, text=text, html=html, key=key,
            attachments=attachments, headers=headers,
        )  # fmt: skip
    return notification


def mark_all_read(*, org: Organization, user: User) -> int:
    return (
        Notification.objects.for_org(org)
        .filter(user=user, read_at__isnull=True)
        .update(read_at=timezone.now())
    )
