"""Session limits for a business app: a session ends after SESSION_IDLE_MINUTES without a
request and SESSION_MAX_HOURS after logging in, whatever happens in between. (Ending all of
a person's sessions at once is `accounts.sessions.end_sessions`.)"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse

STARTED = "lockstep_started"  # when the person logged in (Unix seconds)
SEEN = "lockstep_seen"  # their last request, to the minute
SEEN_EVERY = 60  # write the session at most once a minute for a busy person


def mark_login(request: HttpRequest) -> None:
    """Start the session's clocks (the log-in views call this right after `login`)."""
    now = int(time.time())
    request.session[STARTED] = now
    request.session[SEEN] = now


def session_expired(request: HttpRequest, now: int | None = None) -> bool:
    now = int(time.time()) if now is None else now
    started, seen = request.session.get(STARTED), request.session.get(SEEN)
    if not isinstance(started, int) or not isinstance(seen, int):
        return False
    idle = now - seen > settings.SESSION_IDLE_MINUTES * 60
    return idle or now - started > settings.SESSION_MAX_HOURS * 3600


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) is not None:
            now = int(time.time())
            if session_expired(request, now):
                logout(request)  # the page then asks to log in again, as for anyone
            elif not isinstance(session.get(STARTED), int):
                mark_login(request)  # logged in by a path that did not start the clocks
            elif now - int(session.get(SEEN, 0)) >= SEEN_EVERY:
                session[SEEN] = now
        return self.get_response(request)
