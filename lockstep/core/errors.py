"""One family of errors for every rule of the product, mapped to a response in one place.

Services raise a `DomainError` subclass when a rule refuses a change ("a closed program
cannot be changed", "keep at least one owner"); `org_view` turns it into a clear message
with its status (an htmx fragment, or a redirect back with the message), and the API turns
it into problem details. Views never catch them one by one."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults


class DomainError(Exception):
    """A rule of the product refused the action; the message says why in plain words."""

    status = 400
    title = "The change was refused"


class NotAllowed(DomainError):
    """The member's role allows the page, but not this action on this object."""

    status = 403
    title = "Not allowed"


class Conflict(DomainError):
    """The object's state does not allow this (already done, closed, last owner…)."""

    status = 409
    title = "Conflict with the current state"


class TooMany(DomainError):
    """A rate limit refused it (too many e-mails to one address, too many requests)."""

    status = 429
    title = "Too many requests"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back_url(request: HttpRequest) -> str | None:
    """Where the person came from, if it is a page of this site that is safe to return to."""
    referer = request.headers.get("Referer", "")
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(referer)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path != request.path or request.method == "GET" else None


def domain_error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """htmx: an alert fragment swapped into the page's alert region. A form post from a
    page: back to that page with the message. Otherwise an error page with the status."""
    if is_htmx(request):
        response = HttpResponse(format_html('<p class="form-errors" role="alert">{}</p>', str(exc)))
        response["HX-Retarget"] = "#page-alert"
        response["HX-Reswap"] = "innerHTML"
        return response
    back = _back_url(request) if request.method == "POST" else None
    if back is not None:
        messages.error(request, str(exc))
        return HttpResponseRedirect(back)
    context = {"title": exc.title, "message": str(exc), "back": _back_url(request)}
    return render(request, "domain_error.html", context, status=exc.status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400. A body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django raises it as a bad
    request) is 413 with its own page; anything else is the 400 page."""
    if isinstance(exception, RequestDataTooBig):
        return render(request, "413.html", status=413)
    return defaults.bad_request(request, exception, template_name="400.html")
