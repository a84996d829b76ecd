"""The REST API (django-ninja). OpenAPI document: /api/v1/openapi.json. The interactive docs
page is off: it would load Swagger UI from a CDN, and nothing here loads from the internet."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from lockstep.api.auth import TokenAuth
from lockstep.api.leads import router as leads_router
from lockstep.core.errors import DomainError

api = NinjaAPI(
    title="Lockstep API", version="1", urls_namespace="api", auth=TokenAuth(), docs_url=None
)
api.add_router("/", leads_router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A rule of the product refused the call: its status and message, never a 500."""
    return api.create_response(request, {"detail": str(exc), "errors": []}, status=exc.status)
