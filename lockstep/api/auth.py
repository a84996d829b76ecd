"""`Authorization: Bearer ls_…`: a personal token acts as its owner's membership."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from lockstep.accounts.services import membership_for_token
from lockstep.orgs.models import Membership


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        return membership_for_token(token)
