"""After a request that changed something in an organization with webhooks, queue their
delivery on commit, so receivers hear within seconds rather than at the next `lockstep
remind`. Domain services stay unaware of webhooks: this only looks at the request."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from lockstep.webhooks.services import has_webhooks
from lockstep.webhooks.tasks import deliver_webhooks

SAFE = {"GET", "HEAD", "OPTIONS", "TRACE"}


class WebhookKickMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method in SAFE or response.status_code >= 400:
            return response
        org = getattr(request, "org", None)
        if org is None:  # an API call: the organization of the token's membership
            org = getattr(getattr(request, "auth", None), "org", None)
        org_id = getattr(org, "pk", None)
        if isinstance(org_id, int) and has_webhooks(org_id):
            transaction.on_commit(lambda: deliver_webhooks.enqueue(org_id))
        return response
