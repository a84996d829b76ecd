"""Personal API tokens: `Authorization: Bearer ls_…`, hashed at rest, one organization each."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from lockstep.accounts.models import ApiToken, User
from lockstep.core.services import record_audit
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
        org=membership.org, acting_user=membership.user, action="api_token.created", obj=api_token
    )
    return api_token, token


@transaction.atomic
def revoke_token(*, api_token: ApiToken, acting_user: User) -> None:
    api_token.revoked_at = timezone.now()
    api_token.save(update_fields=["revoked_at"])
    record_audit(
        org=api_token.membership.org, acting_user=acting_user, action="api_token.revoked",
        obj=api_token,
    )  # fmt: skip


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        api_token = (
            ApiToken.objects.select_related("membership__org", "membership__user")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True)
            .first()
        )
        if api_token is None or not api_token.membership.user.is_active:
            return None
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
        return api_token.membership
