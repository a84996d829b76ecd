"""The webhooks page (owners): register, change, switch off and delete webhooks, and read
each one's delivery log with the receivers' response codes. One page: the webhook an
action is about is named in the posted form (or `?webhook=` for the log)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from lockstep.core.params import posted_id
from lockstep.core.permissions import Perm
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.webhooks import services
from lockstep.webhooks.access import access_webhook
from lockstep.webhooks.events import LABELS
from lockstep.webhooks.forms import WebhookForm
from lockstep.webhooks.inputs import WebhookInput
from lockstep.webhooks.models import Webhook


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def webhooks(request: OrgRequest) -> HttpResponse:
    form = WebhookForm(initial={"active": True})
    if request.method == "POST":
        action = request.POST.get("action", "create")
        if action in ("toggle", "delete", "rotate"):
            webhook = access_webhook(request.membership, posted_id(request.POST.get("webhook")))
            if action == "delete":
                services.delete_webhook(webhook=webhook, acting_user=request.user)
                messages.success(request, f"Webhook to {webhook.url} deleted.")
            elif action == "rotate":
                services.rotate_secret(webhook=webhook, acting_user=request.user)
                messages.success(request, "New secret made: update your receiver.")
            else:
                data = WebhookInput(
                    url=webhook.url,
                    events=tuple(webhook.events),
                    format=webhook.format,
                    description=webhook.description,
                    allow_private=webhook.allow_private,
                    active=not webhook.active,
                )
                services.update_webhook(webhook=webhook, acting_user=request.user, data=data)
                state = "on" if data.active else "off"
                messages.success(request, f"Webhook to {webhook.url} switched {state}.")
            return redirect("webhooks:webhooks", org_slug=request.org.slug)
        form = WebhookForm(request.POST)
        if form.is_valid():
            services.create_webhook(org=request.org, acting_user=request.user, data=form.to_input())
            messages.success(request, "Webhook added. Its secret is in the list below.")
            return redirect("webhooks:webhooks", org_slug=request.org.slug)
    hooks = list(Webhook.objects.for_org(request.org))
    chosen = None
    wanted = posted_id(request.GET.get("webhook"))
    if wanted:
        chosen = next((w for w in hooks if w.pk == wanted), None)
    log = list(chosen.deliveries.all()[:100]) if chosen else []
    context = {"webhooks": hooks, "form": form, "chosen": chosen, "log": log, "labels": LABELS}
    status = 400 if form.errors else 200
    return render(request, "webhooks/webhooks.html", context, status=status)
