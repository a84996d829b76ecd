"""Personal API tokens: made, revoked and checked here; the API and the token page call
these. Only a hash of a token is stored; the token itself is shown once."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from lockstep.accounts.models import ApiToken, User
from lockstep.core.events import Action
from lockstep.core.services import record_audit

if TYPE_CHECKING:
    from lockstep.orgs.models import Membership

PREFIX = "ls_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_token(*, membership: Membership, name: str) -> tuple[ApiToken, str]:
    token = PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken.objects.create(
        membership=membership, name=name, prefix=token[:10], token_hash=hash_token(token)
    )
    record_audit(
        org=membership.org,
        acting_user=membership.user,
        action=Action.API_TOKEN_CREATED,
        obj=api_token,
    )
    return api_token, token


@transaction.atomic
def revoke_token(*, api_token: ApiToken, acting_user: User) -> None:
    api_token.revoked_at = timezone.now()
    api_token.save(update_fields=["revoked_at"])
    record_audit(
        org=api_token.membership.org,
        acting_user=acting_user,
        action=Action.API_TOKEN_REVOKED,
        obj=api_token,
    )


def membership_for_token(token: str) -> Membership | None:
    """The membership a bearer token acts as, or None (unknown, revoked, inactive person)."""
    api_token = (
        ApiToken.objects.select_related("membership__org", "membership__user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if api_token is None or not api_token.membership.user.is_active:
        return None
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
    return api_token.membership
