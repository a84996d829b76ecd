"""`Authorization: Bearer ls_…`: a personal token acts as its owner's membership."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from lockstep.accounts.services import membership_for_token
from lockstep.orgs.models import Membership


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        return membership_for_token(token)


def caller(request: HttpRequest) -> Membership:
    """The membership the request's token acts as (set by `TokenAuth`)."""
    membership = getattr(request, "auth", None)
    if not isinstance(membership, Membership):
        raise PermissionError("the request is not authenticated")  # TokenAuth ran first
    return membership
