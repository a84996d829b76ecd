"""Sets request.org and request.membership from the /o/<org-slug>/ URL prefix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from lockstep.accounts import two_factor
from lockstep.core.tenancy import OrgRequest
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import request_memo


def my_memberships(user: Any) -> list[Membership]:
    """Every organization a signed-in person belongs to (one query; the header's switcher
    and the current membership both come from it)."""
    if not user.is_authenticated or not user.is_active:
        return []
    return list(
        Membership.objects.select_related("org", "team", "user")
        .filter(user=user)
        .order_by("org__name")
    )


class TenancyMiddleware:
    """Sets request.org and request.membership from the /o/<org-slug>/ URL prefix.

    A non-member gets no membership, and `org_view` answers 404: the organization's
    existence is never revealed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_memo():
            return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        org_slug = view_kwargs.get("org_slug")
        if org_slug is None:
            return None
        memberships = my_memberships(request.user)
        org_request = cast(OrgRequest, request)
        org_request.my_memberships = memberships
        membership = next((m for m in memberships if m.org.slug == org_slug), None)
        if membership is None:
            return None
        org_request.membership = membership
        org_request.org = membership.org
        now = timezone.now()
        seen = membership.last_seen_at
        if seen is None or (now - seen).total_seconds() > 300:
            type(membership).objects.filter(pk=membership.pk).update(last_seen_at=now)
            membership.last_seen_at = now
            request.session["last_org"] = org_slug
        return self._require_two_factor(org_request)

    @staticmethod
    def _require_two_factor(request: OrgRequest) -> HttpResponse | None:
        """An organization that requires two-factor of owners and marketers sends those who
        have not set it up to do so first."""
        membership = request.membership
        if not membership.org.require_two_factor:
            return None
        if membership.role not in two_factor.ROLES_THAT_CAN_BE_REQUIRED:
            return None
        if two_factor.has_two_factor(request.user):
            return None
        messages.info(
            request,
            f"{membership.org.name} requires two-factor log-in for your role: set it up to go on.",
        )
        target = reverse("accounts:two_factor") + "?" + urlencode({"next": request.path})
        return HttpResponseRedirect(target)
