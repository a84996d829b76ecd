"""People. A person is global; what they may do lives on their memberships (orgs app)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

DEMO_HASH_PREFIX = "lockstep_demo$"  # accounts.passwords.DemoPasswordHasher's hashes


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to end every session of the person at once (`end_sessions`): it is part of the
    # session's auth hash, which Django checks on every request.
    session_epoch = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def check_password(self, raw_password: str | None) -> bool:
        if self.password.startswith(DEMO_HASH_PREFIX):
            # No re-hashing on log-in: the demo's hash must keep the prefix that marks it.
            return check_password(raw_password, self.password)
        return super().check_password(raw_password)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Epoch 0 hashes as Django does, so sessions made before the field existed stay valid.
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = self.password if not self.session_epoch else f"{self.password}${self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def initials(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return "".join(p[0] for p in parts).upper() or self.email[:1].upper()


class LoginAttempt(models.Model):
    """One row per failed (or ongoing) log-in: the throttle counts recent rows for the same
    e-mail and for the same client address (`accounts.throttle`)."""

    email = models.CharField(max_length=254)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"], name="loginattempt_email_time"),
            models.Index(fields=["ip_address", "created_at"], name="loginattempt_ip_time"),
        ]

    def __str__(self) -> str:
        return f"failed login for {self.email} at {self.created_at:%Y-%m-%d %H:%M}"


class RateEvent(models.Model):
    """One counted event for a rate limit (`accounts.throttle.hit`): a password-reset
    request for an address, an invitation sent to an address…"""

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "created_at"], name="rateevent_key_time")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} at {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A personal API token for one organization. Only a hash is stored; the token is shown
    once, when it is made."""

    membership = models.ForeignKey(
        "orgs.Membership", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)  # shown in lists to tell tokens apart
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # None: until revoked
    # Rate limiting in the database, so every gunicorn worker counts the same requests: the
    # start of the current one-minute window and the requests made in it.
    rate_window = models.DateTimeField(null=True, blank=True)
    rate_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
