from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template import loader

from lockstep.accounts import throttle
from lockstep.accounts.models import User
from lockstep.accounts.passwords import demo_mode, is_demo_password
from lockstep.core.tasks import MACHINE_HEADERS

logger = logging.getLogger("django.contrib.auth")


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.error_messages["invalid_login"] = "That e-mail and password do not match."

    def clean(self) -> dict[str, Any]:
        email = str(self.cleaned_data.get("username") or "").strip().lower()
        if not email or "password" not in self.cleaned_data:
            return self.cleaned_data  # the field errors say what is missing
        _, refused = throttle.begin_login(email, throttle.client_address(self.request))
        if refused is not None:
            raise ValidationError(refused.message, code="locked")
        if is_demo_password(self.cleaned_data["password"]) and not demo_mode():
            raise ValidationError(
                "The demo password only works in the demo. Use your own password, or reset it.",
                code="demo_password",
            )
        cleaned = super().clean()  # a failure keeps the attempt's row: it counts
        throttle.login_succeeded(email)
        return cleaned


class ResetForm(PasswordResetForm):
    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        allowed = throttle.hits(
            [
                ("reset-address", email, settings.RESET_EMAILS_PER_ADDRESS, 60),
                (
                    "reset-client",
                    throttle.client_address(self.request),
                    settings.RESET_REQUESTS_PER_CLIENT,
                    60,
                ),
            ]
        )
        if not allowed:
            raise ValidationError(
                "Several reset links were asked for in the last hour: use the latest e-mail, "
                "or try again in an hour.",
                code="throttled",
            )
        return email

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def get_users(self, email: str) -> Any:
        # Imported and invited people have no usable password yet: let them set one.
        return User.objects.filter(email__iexact=email, is_active=True)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Django's, plus the headers of every machine-written e-mail (Auto-Submitted)."""
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(
            subject, body, from_email, [to_email], headers=dict(MACHINE_HEADERS)
        )
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        try:
            message.send()
        except Exception:  # as Django does: a failed send says nothing to the visitor
            logger.exception("Failed to send password reset email to %s", context["user"].pk)


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            user = User(
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned
