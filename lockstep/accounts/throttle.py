"""Rate limits for logging in and for e-mails sent to addresses someone typed.

Every limit counts rows in the database (so every server process counts the same requests)
and is **recorded first, then counted**: a request adds its own row, counts the rows in the
window, and goes ahead only if that count is within the budget (otherwise it removes its
row: it was refused, not tried). Of N simultaneous requests the k-th to insert sees at
least k rows, so no more than the budget get through, without locks.

- Logging in: LOGIN_THROTTLE_FAILURES failures per e-mail and LOGIN_THROTTLE_CLIENT_FAILURES
  per client address within LOGIN_THROTTLE_WINDOW_MINUTES. A successful log-in clears the
  e-mail's failures (not the client's: an attacker's own account must not reset them).
- Password-reset e-mails: RESET_EMAILS_PER_ADDRESS per address and RESET_REQUESTS_PER_CLIENT
  per client address an hour, counted for unknown addresses too (so the answer says nothing
  about who has an account).
- Invitations (`orgs.services.invite_member`): INVITATIONS_PER_ADDRESS per address a day
  and INVITATIONS_PER_INVITER per inviting person an hour."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from lockstep.accounts.models import LoginAttempt, RateEvent


def _trusted_proxies() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for item in getattr(settings, "TRUSTED_PROXIES", ["127.0.0.1"]):
        try:
            nets.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue
    return nets


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_proxies())


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address: REMOTE_ADDR, or — when the request came through a trusted
    proxy (LOCKSTEP_FORWARDED_ALLOW_IPS) — the nearest address in X-Forwarded-For that is
    not a trusted proxy (a client cannot forge the hops the proxies appended)."""
    if request is None:
        return None
    remote = str(request.META.get("REMOTE_ADDR") or "").strip()
    if not remote:
        return None
    if not _is_trusted(remote):
        return remote[:45]
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # junk: stop at the last address a trusted proxy could have written
        if not _is_trusted(hop):
            return hop
    return remote[:45]


def _window(minutes: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


# --- logging in --------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginRefused:
    by: str  # "email" or "client"
    minutes: int

    @property
    def message(self) -> str:
        if self.by == "email":
            return (
                f"Too many failed attempts. This account is locked for {self.minutes} minutes; "
                "try again later or reset your password."
            )
        return (
            "Too many failed log-ins from your network. Try again in "
            f"{self.minutes} minutes, or reset your password."
        )


def begin_login(email: str, ip_address: str | None) -> tuple[LoginAttempt, LoginRefused | None]:
    """Record the attempt (as a failure until `login_succeeded`), then check both budgets.
    A refused attempt's row is removed again."""
    email = email.strip().lower()[:254]
    minutes = settings.LOGIN_THROTTLE_WINDOW_MINUTES
    since = _window(minutes)
    LoginAttempt.objects.filter(email=email, created_at__lt=since).delete()  # stay small
    attempt = LoginAttempt.objects.create(email=email, ip_address=ip_address)
    recent = LoginAttempt.objects.filter(created_at__gte=since)
    refused = None
    if recent.filter(email=email).count() > settings.LOGIN_THROTTLE_FAILURES:
        refused = LoginRefused("email", minutes)
    elif (
        ip_address
        and recent.filter(ip_address=ip_address).count() > settings.LOGIN_THROTTLE_CLIENT_FAILURES
    ):
        refused = LoginRefused("client", minutes)
    if refused is not None:
        attempt.delete()
    return attempt, refused


def login_succeeded(email: str) -> None:
    LoginAttempt.objects.filter(email=email.strip().lower()).delete()


# --- everything else: one budget per (scope, key) ----------------------------------------


def _take(scope: str, key: str, limit: int, minutes: int) -> RateEvent | None:
    since = _window(minutes)
    RateEvent.objects.filter(scope=scope, key=key, created_at__lt=since).delete()  # stay small
    event = RateEvent.objects.create(scope=scope, key=key)
    if RateEvent.objects.filter(scope=scope, key=key, created_at__gte=since).count() > limit:
        event.delete()
        return None
    return event


def hit(scope: str, key: str, *, limit: int, minutes: int) -> bool:
    """Count one event against the budget of `key` in `scope`; False (and nothing counted)
    when the budget is spent."""
    return hits([(scope, key, limit, minutes)])


def hits(checks: list[tuple[str, str | None, int, int]]) -> bool:
    """Several budgets at once (scope, key, limit, minutes; a None key is skipped): all
    must allow it, and a refusal counts against none of them."""
    taken: list[RateEvent] = []
    for scope, key, limit, minutes in checks:
        if not key:
            continue
        event = _take(scope, key.strip().lower()[:254], limit, minutes)
        if event is None:
            RateEvent.objects.filter(pk__in=[e.pk for e in taken]).delete()
            return False
        taken.append(event)
    return True
