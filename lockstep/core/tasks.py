"""Background tasks shared by every domain."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django_tasks import task

from lockstep.core.models import SentMessage

logger = logging.getLogger("lockstep.mail")

# Every e-mail Lockstep sends is written by a machine (RFC 3834): out-of-office replies and
# other auto-responders must not answer it.
MACHINE_HEADERS = {"Auto-Submitted": "auto-generated"}


@task()
def send_email(
    to: list[str],
    subject: str,
    text: str,
    html: str = "",
    key: str = "",
    org_id: int | None = None,
    attachments: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    alternatives: list[dict[str, str]] | None = None,
) -> int:
    """Send one e-mail. With a `key`, it is sent at most once, whatever runs the task again
    (a retry, a duplicate, a worker killed mid-task whose task resumes): the key is committed
    just before sending, and removed if sending fails so that a retry sends it. A worker
    killed in the instant between the two loses that one e-mail rather than sending it
    twice (the log shows the send started).

    `alternatives` are more versions of the body after the HTML one (`content`, `mimetype`),
    e.g. an invite's `text/calendar; method=REQUEST`, which calendar clients act on."""
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=to, headers={**MACHINE_HEADERS, **(headers or {})}
    )
    if html:
        message.attach_alternative(html, "text/html")
    for alternative in alternatives or []:
        message.attach_alternative(alternative["content"], alternative["mimetype"])
    for attachment in attachments or []:
        content, mimetype = attachment["content"], attachment["mimetype"]
        if isinstance(content, str) and not mimetype.startswith("text/"):
            content = content.encode()  # task arguments are JSON: binary parts arrive as text
        message.attach(attachment["filename"], content, mimetype)
    if not key or org_id is None:
        return message.send()
    key = key[:200]
    try:
        with transaction.atomic():
            SentMessage.objects.create(key=key, org_id=org_id, to=to[0], subject=subject[:300])
    except IntegrityError:
        return 0  # sent already
    logger.info("sending e-mail %s", key, extra={"key": key})
    try:
        return message.send()
    except BaseException:
        SentMessage.objects.filter(key=key).delete()
        raise
