"""The REST API (django-ninja). OpenAPI document: /api/v1/openapi.json. The interactive docs
page is off: it would load Swagger UI from a CDN, and nothing here loads from the internet."""

from __future__ import annotations

from ninja import NinjaAPI

from lockstep.api.auth import TokenAuth
from lockstep.api.leads import router as leads_router

api = NinjaAPI(
    title="Lockstep API", version="1", urls_namespace="api", auth=TokenAuth(), docs_url=None
)
api.add_router("/", leads_router)
