from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from lockstep.accounts import throttle
from lockstep.accounts.models import User


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.error_messages["invalid_login"] = "That e-mail and password do not match."

    def clean(self) -> dict[str, Any]:
        email = (self.data.get("username") or "").strip().lower()
        if email and throttle.is_locked(email):
            minutes = settings.LOGIN_THROTTLE_WINDOW_MINUTES
            raise ValidationError(
                f"Too many failed attempts. This account is locked for {minutes} minutes; "
                "try again later or reset your password.",
                code="locked",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if email:
                ip = self.request.META.get("REMOTE_ADDR") if self.request else None
                throttle.record_failure(email, ip)
            raise
        throttle.clear(email)
        return cleaned


class ResetForm(PasswordResetForm):
    def get_users(self, email: str) -> Any:
        # Imported and invited people have no usable password yet: let them set one.
        return User.objects.filter(email__iexact=email, is_active=True)


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
