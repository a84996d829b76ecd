"""The weekly digest: this week's digest as a page (with the subscription switch), and the
one-click unsubscribe link e-mailed with it, which works without logging in."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from lockstep.core.errors import DomainError
from lockstep.core.permissions import Perm
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.insights import digest as dg
from lockstep.insights import services
from lockstep.insights.forms import SubscriptionForm


@org_view(Perm.RECEIVE_DIGEST)
@require_http_methods(["GET", "POST"])
def digest_page(request: OrgRequest) -> HttpResponse:
    membership = request.membership
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if not form.is_valid():
            raise DomainError("Choose to subscribe or to unsubscribe.")
        subscribed = form.cleaned_data["subscribed"]
        services.set_digest_subscription(
            membership=membership, subscribed=subscribed, acting_user=request.user
        )
        messages.success(
            request,
            "You will get the digest every Monday morning."
            if subscribed
            else "You will no longer get the weekly digest.",
        )
        return redirect("insights:digest", org_slug=request.org.slug)
    now = timezone.now()
    # The latest digest as sent (one query); measuring every live program again is asked
    # for explicitly ("what it would say now").
    preview = request.GET.get("preview") == "now"
    context = {
        "issue": None if preview else dg.latest_issue(membership),
        "digest": dg.build_digest(membership, now) if preview else None,
        "subscribed": dg.is_subscribed(membership),
        "next_send": dg.next_send(now, request.org),
        "email_on": membership.email_notifications,
    }
    return render(request, "insights/digest.html", context)


@csrf_exempt  # the signed token is the credential; mail clients POST it (RFC 8058) bare
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: ask to confirm (link scanners only GET). POST: unsubscribe — from the page's
    button, or a mail client's one-click `List-Unsubscribe=One-Click`."""
    membership = dg.membership_of_token(token)
    if membership is None:
        return render(request, "insights/unsubscribe.html", {"invalid": True}, status=404)
    context = {"membership": membership, "org": None, "org_name": membership.org.name}
    if request.method == "POST":
        services.set_digest_subscription(
            membership=membership, subscribed=False, acting_user=membership.user, via="link"
        )
        return render(request, "insights/unsubscribe.html", {**context, "done": True})
    return render(request, "insights/unsubscribe.html", context)
