from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in them.
    template = loader.get_template("500.html")
    return HttpResponse(template.render({}), status=500)
