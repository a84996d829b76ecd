"""Login throttling: after N failed attempts for one e-mail in a window, refuse logins."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from lockstep.accounts.models import LoginAttempt


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.LOGIN_THROTTLE_WINDOW_MINUTES)


def is_locked(email: str) -> bool:
    recent = LoginAttempt.objects.filter(email=email.lower(), created_at__gte=_window_start())
    return recent.count() >= settings.LOGIN_THROTTLE_FAILURES


def record_failure(email: str, ip_address: str | None) -> None:
    LoginAttempt.objects.create(email=email.lower()[:254], ip_address=ip_address)


def clear(email: str) -> None:
    LoginAttempt.objects.filter(email=email.lower()).delete()
