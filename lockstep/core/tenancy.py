"""Tenancy in one place: the typed request, the view decorator and access helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from lockstep.core.permissions import Perm, can
from lockstep.orgs.models import Membership, Organization, Team

if TYPE_CHECKING:
    from lockstep.accounts.models import User

P = ParamSpec("P")


class OrgRequest(HttpRequest):
    """A request under /o/<org-slug>/ whose user is a member of that organization."""

    org: Organization
    membership: Membership
    user: User


def resolve_membership(user: Any, org_slug: str) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("org", "team")
        .filter(org__slug=org_slug, user=user, user__is_active=True)
        .first()
    )


def org_view(
    perm: Perm = Perm.VIEW_ORG,
) -> Callable[
    [Callable[Concatenate[OrgRequest, P], HttpResponseBase]],
    Callable[Concatenate[HttpRequest, P], HttpResponseBase],
]:
    """Decorate a view under /o/<org-slug>/: login required, membership required (else 404),
    permission required (else 403). The view receives an OrgRequest and no org_slug."""

    def decorator(
        view: Callable[Concatenate[OrgRequest, P], HttpResponseBase],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            kwargs.pop("org_slug", None)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                raise Http404("No such organization")
            if not can(membership, perm):
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)  # type: ignore[arg-type]

        wrapper.lockstep_perm = perm  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def access_team(org: Organization, team_id: int) -> Team:
    team = Team.objects.for_org(org).filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team")
    return team


def access_membership(org: Organization, membership_id: int) -> Membership:
    membership = (
        Membership.objects.for_org(org)
        .select_related("user", "team")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise Http404("No such member")
    return membership
