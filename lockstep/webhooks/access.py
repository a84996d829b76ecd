"""Loading an organization's webhooks, else 404."""

from __future__ import annotations

from django.http import Http404

from lockstep.orgs.models import Membership
from lockstep.webhooks.models import Webhook


def access_webhook(membership: Membership, webhook_id: int, *, for_update: bool = False) -> Webhook:
    webhooks = Webhook.objects.for_org(membership.org).select_related("org")
    if for_update:
        webhooks = webhooks.select_for_update(of=("self",))
    webhook = webhooks.filter(pk=webhook_id).first()
    if webhook is None:
        raise Http404("No such webhook")
    return webhook
