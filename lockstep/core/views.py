from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in them.
    template = loader.get_template("500.html")
    return HttpResponse(template.render({}), status=500)
