"""Background tasks shared by every domain."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django_tasks import task

from lockstep.core.models import SentMessage


@task()
def send_email(
    to: list[str],
    subject: str,
    text: str,
    html: str = "",
    key: str = "",
    org_id: int | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> int:
    """Send one e-mail. With a `key`, a retried or duplicated task sends it only once: the
    key is recorded in the same transaction as the send, and a second row is refused."""
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in attachments or []:
        message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    if not key or org_id is None:
        return message.send()
    try:
        with transaction.atomic():
            SentMessage.objects.create(
                key=key[:200], org_id=org_id, to=to[0], subject=subject[:300]
            )
            return message.send()  # an exception here rolls the key back: a retry may send
    except IntegrityError:
        return 0
