"""`Authorization: Bearer ls_…`: a personal token acts as its owner's membership in one
organization, within a per-token request budget (LOCKSTEP_API_RATE_PER_MINUTE)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from lockstep.accounts.services import active_token, count_request
from lockstep.api.problems import ApiProblem
from lockstep.core.permissions import Perm, can
from lockstep.orgs.models import Membership


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def max_body_bytes(request: HttpRequest) -> int:
    """Uploads (multipart) may be as large as a kit asset; other bodies as Django allows."""
    if request.content_type == "multipart/form-data":
        return int(settings.ASSET_MAX_MB) * 1024 * 1024 + 64 * 1024
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        api_token = active_token(token)
        if api_token is None:
            return None
        decision = count_request(api_token=api_token, limit=settings.API_RATE_PER_MINUTE)
        if not decision.allowed:
            raise ApiProblem(
                429,
                f"This token may make {decision.limit} requests a minute: try again in "
                f"{decision.retry_after} seconds.",
                headers={"Retry-After": str(decision.retry_after)},
            )
        if _content_length(request) > max_body_bytes(request):
            raise ApiProblem(413, f"The body is larger than {max_body_bytes(request)} bytes.")
        return api_token.membership


def caller(request: HttpRequest) -> Membership:
    """The membership the request's token acts as (set by `TokenAuth`)."""
    membership = getattr(request, "auth", None)
    if not isinstance(membership, Membership):
        raise ApiProblem(401, "Send a valid personal API token.")  # TokenAuth ran first
    return membership


def require(request: HttpRequest, perm: Perm) -> Membership:
    """The caller, if their role has the permission (the one table in core.permissions);
    otherwise 403."""
    membership = caller(request)
    if not can(membership, perm):
        role = membership.get_role_display().lower()
        raise ApiProblem(403, f"Your role ({role}) does not allow this ({perm.name} is needed).")
    return membership
