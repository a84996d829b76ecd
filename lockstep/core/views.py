from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader

from lockstep.accounts.models import User
from lockstep.orgs.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send a person to the organization they used last, or let them pick one."""
    memberships = list(
        Membership.objects.filter(user=cast(User, request.user))
        .select_related("org")
        .order_by("org__name")
    )
    last = request.session.get("last_org")
    for membership in memberships:
        if membership.org.slug == last:
            return redirect("orgs:home", org_slug=last)
    if len(memberships) == 1:
        return redirect("orgs:home", org_slug=memberships[0].org.slug)
    return render(request, "core/pick_org.html", {"memberships": memberships})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in them.
    template = loader.get_template("500.html")
    return HttpResponse(template.render({}), status=500)
