"""Background work for webhooks, queued on commit."""

from __future__ import annotations

from django_tasks import task

from lockstep.webhooks.services import deliver_due


@task()
def deliver_webhooks(org_id: int | None = None) -> int:
    """Collect an organization's new events and send what is due (retries included)."""
    return deliver_due(org_id=org_id)
