"""Tenancy plumbing on the ground floor: the typed request and the view decorator (the
scoped queryset is in `core.querysets`). It knows organizations and memberships only as
types; the orgs app, one floor up, resolves them (`lockstep.orgs.middleware`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from lockstep.core.errors import DomainError, domain_error_response
from lockstep.core.permissions import DESCRIPTIONS, Perm, can

if TYPE_CHECKING:
    from lockstep.accounts.models import User
    from lockstep.orgs.models import Membership, Organization

P = ParamSpec("P")


class OrgRequest(HttpRequest):
    """A request under /o/<org-slug>/ whose user is a member of that organization."""

    org: Organization
    membership: Membership
    my_memberships: list[Membership]  # every organization of this person (header switcher)
    user: User


OrgView = Callable[Concatenate[OrgRequest, P], HttpResponseBase]
PlainView = Callable[Concatenate[HttpRequest, P], HttpResponseBase]


def org_view(perm: Perm) -> Callable[[OrgView[P]], PlainView[P]]:
    """Decorate a view under /o/<org-slug>/ with the permission it needs (from the one table
    in `core.permissions`): anonymous → log-in page, non-member → 404, member without the
    permission → 403. A `DomainError` raised below becomes a clear message with its status.
    The view receives an OrgRequest and no org_slug."""

    def decorator(view: OrgView[P]) -> PlainView[P]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            kwargs.pop("org_slug", None)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                raise Http404("No such organization")
            if not can(membership, perm):
                raise PermissionDenied(f"This page is for members who may {DESCRIPTIONS[perm]}.")
            org_request: Any = request
            try:
                return view(org_request, *args, **kwargs)
            except DomainError as exc:
                return domain_error_response(request, exc)

        wrapper.__dict__["lockstep_perm"] = perm  # read by the permission tests
        return cast("PlainView[P]", wrapper)

    return decorator
