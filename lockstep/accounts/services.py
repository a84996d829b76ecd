"""Personal API tokens: made, revoked and checked here; the API, the token page and the
`lockstep token` command call these. Only a hash of a token is stored; the token itself is
shown once. Each token has a per-minute request budget counted in the database, so every
server process counts the same requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lockstep.accounts.models import ApiToken, User
from lockstep.core.errors import Conflict
from lockstep.core.events import Action
from lockstep.core.services import record_audit

if TYPE_CHECKING:
    from lockstep.orgs.models import Membership

PREFIX = "ls_"
MAX_EXPIRY_DAYS = 3650


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_token(
    *, membership: Membership, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for the member in their organization; `expires_in_days` None: it works
    until it is revoked. Returns the row and the token (shown once, never stored)."""
    token = PREFIX + secrets.token_urlsafe(32)
    expires_at = None
    if expires_in_days is not None:
        expires_at = timezone.now() + dt.timedelta(days=expires_in_days)
    api_token = ApiToken.objects.create(
        membership=membership,
        name=name,
        prefix=token[:10],
        token_hash=hash_token(token),
        expires_at=expires_at,
    )
    record_audit(
        org=membership.org,
        acting_user=membership.user,
        action=Action.API_TOKEN_CREATED,
        obj=api_token,
        changes={"expires_at": [None, expires_at.isoformat() if expires_at else None]},
    )
    return api_token, token


@transaction.atomic
def revoke_token(*, api_token: ApiToken, acting_user: User | None) -> None:
    api_token = (
        ApiToken.objects.select_for_update().select_related("membership__org").get(pk=api_token.pk)
    )
    if api_token.revoked_at is not None:
        raise Conflict("That token is already revoked.")
    api_token.revoked_at = timezone.now()
    api_token.save(update_fields=["revoked_at"])
    record_audit(
        org=api_token.membership.org,
        acting_user=acting_user,
        action=Action.API_TOKEN_REVOKED,
        obj=api_token,
    )


def active_token(token: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The token's row if it is known, not revoked, not expired and its person is active."""
    now = now or timezone.now()
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    api_token = (
        ApiToken.objects.select_related("membership__org", "membership__user")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if api_token is None or not api_token.is_active(now):
        return None
    if not api_token.membership.user.is_active:
        return None
    return api_token


def membership_for_token(token: str) -> Membership | None:
    """The membership a bearer token acts as, or None (unknown, revoked, expired, inactive
    person). Marks the token used."""
    api_token = active_token(token)
    if api_token is None:
        return None
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
    return api_token.membership


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


def count_request(
    *, api_token: ApiToken, limit: int, now: dt.datetime | None = None
) -> RateDecision:
    """Count one request against the token's budget for the current minute (a fixed
    window), and mark the token used. Two conditional UPDATEs, no read-modify-write, so
    concurrent requests in several processes are all counted."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    tokens = ApiToken.objects.filter(pk=api_token.pk)
    for _ in range(3):
        if tokens.filter(rate_window=window).update(
            rate_count=F("rate_count") + 1, last_used_at=now
        ):
            break
        # A new minute: start its count, unless another request just did.
        if tokens.exclude(rate_window=window).update(
            rate_window=window, rate_count=1, last_used_at=now
        ):
            break
    count = tokens.values_list("rate_count", flat=True).first() or 0
    retry_after = max(1, 60 - int((now - window).total_seconds()))
    return RateDecision(
        allowed=count <= limit,
        limit=limit,
        remaining=max(0, limit - count),
        retry_after=retry_after,
    )


# --- a person's sessions and security settings ----------------------------------------------


def end_sessions(user: User) -> None:
    """End every session of the person, on every device: the epoch is part of each
    session's auth hash, which Django checks on every request."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def record_for_person(
    user: User, action: Action, *, acting_user: User | None = None, note: str = ""
) -> None:
    """An audit row in every organization the person belongs to (a change to their account
    concerns each of them)."""
    for membership in user.memberships.select_related("org"):
        record_audit(
            org=membership.org,
            acting_user=acting_user or user,
            action=action,
            obj=user,
            note=note,
        )
