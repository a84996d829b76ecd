from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from lockstep.core.models import Notification
from lockstep.core.permissions import Abilities, Perm, can
from lockstep.orgs.middleware import my_memberships
from lockstep.orgs.models import Membership


def _active(path: str, url: str, home: str) -> bool:
    if url == home:
        return path == url
    if url.endswith("/programs/"):
        return path.startswith(url) and not path.startswith(url + "calendar/")
    return path.startswith(url)


def lockstep(request: HttpRequest) -> dict[str, Any]:
    membership: Membership | None = getattr(request, "membership", None)
    context: dict[str, Any] = {
        "org": None,
        "membership": membership,
        "can": Abilities(membership),
        "nav": [],
        "my_orgs": [],
    }
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return context
    known = getattr(request, "my_memberships", None)
    context["my_orgs"] = known if known is not None else my_memberships(request.user)
    if membership is None:
        return context
    org = membership.org
    slug = org.slug
    items = [("Home", reverse("insights:home", args=[slug]), Perm.VIEW_ORG)]
    items += [
        ("Programs", reverse("programs:list", args=[slug]), Perm.VIEW_PROGRAMS),
        ("Calendar", reverse("programs:calendar", args=[slug]), Perm.VIEW_CALENDAR),
        ("Leads", reverse("results:my_leads", args=[slug]), Perm.SELL),
        ("Team leads", reverse("results:my_leads", args=[slug]), Perm.LEAD_TEAMS),
        ("Import", reverse("results:import_new", args=[slug]), Perm.IMPORT_DATA),
        ("Unmatched leads", reverse("results:unmatched", args=[slug]), Perm.IMPORT_DATA),
        ("Teams", reverse("orgs:teams", args=[slug]), Perm.VIEW_TEAMS),
        ("People", reverse("orgs:members", args=[slug]), Perm.VIEW_MEMBERS),
        ("Settings", reverse("orgs:settings", args=[slug]), Perm.MANAGE_ORG),
        ("Audit log", reverse("orgs:audit", args=[slug]), Perm.VIEW_AUDIT),
    ]
    path = request.path
    home = reverse("insights:home", args=[slug])
    context["org"] = org
    # Counted only when a template shows it (full pages do; htmx fragments do not).
    unread = Notification.objects.for_org(org).filter(user=request.user, read_at__isnull=True)
    context["unread"] = SimpleLazyObject(unread.count)
    context["nav"] = [
        {"label": label, "url": url, "active": _active(path, url, home)}
        for label, url, perm in items
        if can(membership, perm)
    ]
    return context
