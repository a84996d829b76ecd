"""Logging in (with a second factor when the person has one), password reset with limits,
and the person's own two-factor page."""

from __future__ import annotations

import time
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from lockstep.accounts import throttle, two_factor
from lockstep.accounts.forms import LoginForm
from lockstep.accounts.middleware import mark_login
from lockstep.accounts.models import User
from lockstep.accounts.services import end_sessions, record_for_person
from lockstep.core.events import Action

PENDING = "lockstep_2fa_pending"  # {user, backend, next, at}: password given, code not yet
PENDING_SECONDS = 300


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = cast(User, form.get_user())
        if two_factor.has_two_factor(user):
            # Not logged in yet: the session only remembers who gave the right password.
            self.request.session.cycle_key()
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
                "next": self.get_success_url(),
                "at": int(time.time()),
            }
            return redirect("accounts:login_code")
        auth_login(self.request, user)
        mark_login(self.request)
        return HttpResponseRedirect(self.get_success_url())


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if int(time.time()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    return (user, pending) if user is not None else None


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of logging in for a person with two-factor."""
    found = _pending_user(request)
    if found is None:
        messages.info(request, "Log in again: the code is asked for within 5 minutes.")
        return redirect("accounts:login")
    user, pending = found
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Codes share the password's failure budget (per e-mail and per client).
        _, refused = throttle.begin_login(user.email, throttle.client_address(request))
        if refused is not None:
            form.add_error(None, refused.message)
        elif two_factor.verify(user, form.cleaned_data["code"]):
            throttle.login_succeeded(user.email)
            request.session.pop(PENDING, None)
            auth_login(request, user, backend=pending["backend"])
            mark_login(request)
            next_url = str(pending.get("next") or "")
            if not url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                next_url = reverse(settings.LOGIN_REDIRECT_URL)
            return HttpResponseRedirect(next_url)
        else:
            form.add_error("code", "That code is not right (or was already used).")
    status = 400 if form.errors else 200
    return render(request, "accounts/login_code.html", {"form": form}, status=status)


class ResetView(auth_views.PasswordResetView):
    """Django's reset view, with the reset form's limits per address and per client."""

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_page(request: HttpRequest) -> HttpResponse:
    """Set up, renew recovery codes for, or turn off two-factor log-in."""
    user = cast(User, request.user)
    form = CodeForm(request.POST or None)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    codes: list[str] | None = None
    if action == "start":
        two_factor.start_setup(user)
        form = CodeForm()
    elif action in ("confirm", "codes", "disable") and form.is_valid():
        code = form.cleaned_data["code"]
        if action == "confirm":
            codes = two_factor.confirm_setup(user, code)
            if codes is None:
                form.add_error("code", "That code is not right: check the app's clock and retry.")
            else:
                record_for_person(user, Action.TWO_FACTOR_ENABLED)
                _end_other_sessions(request, user)
        elif not two_factor.verify(user, code):
            form.add_error("code", "That code is not right (or was already used).")
        elif action == "codes":
            codes = two_factor.new_recovery_codes(user)
            record_for_person(user, Action.RECOVERY_CODES_RENEWED)
        elif required := two_factor.required_by(user):
            form.add_error(None, "Two-factor is required by " + ", ".join(required) + ".")
        else:
            two_factor.disable(user)
            record_for_person(user, Action.TWO_FACTOR_DISABLED)
            _end_other_sessions(request, user)
            messages.success(request, "Two-factor log-in is off.")
            return redirect("accounts:two_factor")
    elif action and action not in ("confirm", "codes", "disable"):
        form.is_valid()  # bound: its errors can take one more
        form.add_error(None, "Choose what to do: set up, confirm, new codes or turn off.")
    pending = None if two_factor.has_two_factor(user) else two_factor.pending_device(user)
    context = {
        "form": form,
        "enabled": two_factor.has_two_factor(user),
        "pending": pending,
        "qr": two_factor.qr_svg(pending) if pending else "",
        "secret": two_factor.secret_text(pending) if pending else "",
        "codes": codes,
        "codes_left": two_factor.recovery_codes_left(user),
        "required_by": two_factor.required_by(user),
        "next": _safe_next(request),
    }
    status = 400 if form.errors else 200
    return render(request, "accounts/two_factor.html", context, status=status)


def _end_other_sessions(request: HttpRequest, user: User) -> None:
    """After a change to how the person logs in, sessions elsewhere end; this one stays."""
    end_sessions(user)
    update_session_auth_hash(request, user)


def _safe_next(request: HttpRequest) -> str:
    next_url = str(request.GET.get("next") or request.POST.get("next") or "")
    allowed = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return next_url if allowed and next_url.startswith("/") else ""
