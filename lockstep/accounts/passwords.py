"""The public demo password works in the demo and nowhere else.

`lockstep demo` gives its ~330 people one well-known password. Three things keep it out of
production:

- the demo's accounts are hashed with `DemoPasswordHasher`, whose hashes only verify in
  demo or debug mode, and whose prefix lets `lockstep serve` find every such account in
  one query (`demo_password_accounts`);
- the log-in form refuses the demo password outside demo/debug mode, whatever the hash
  (`is_demo_password`), and `NotTheDemoPassword` refuses it as anyone's new password;
- `lockstep serve` refuses to start while any account accepts it or the demo organization
  exists (`ops.management.commands._serving.refuse_demo_passwords`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import (
    UNUSABLE_PASSWORD_PREFIX,
    PBKDF2PasswordHasher,
    check_password,
    make_password,
)
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.crypto import constant_time_compare

from lockstep.accounts.models import DEMO_HASH_PREFIX, User

DEMO_PASSWORD = "lockstep-demo"  # noqa: S105 — public demo password, refused outside demo mode


def demo_mode() -> bool:
    """`lockstep demo` (LOCKSTEP_DEMO) or a developer's debug mode."""
    return bool(settings.DEBUG or getattr(settings, "DEMO", False))


def is_demo_password(password: str | None) -> bool:
    return bool(password) and constant_time_compare(str(password), DEMO_PASSWORD)


class DemoPasswordHasher(PBKDF2PasswordHasher):
    """The demo's accounts' hasher: its hashes verify only in demo or debug mode. The
    password is public, so the work factor protects nothing: it is kept low so that
    logging in to the demo is quick."""

    algorithm = DEMO_HASH_PREFIX.rstrip("$")
    iterations = 1000

    def verify(self, password: str, encoded: str) -> bool:
        return demo_mode() and super().verify(password, encoded)

    def must_update(self, encoded: str) -> bool:
        return False  # never re-hashed (it would lose the prefix that marks demo accounts)


def demo_password_hash() -> str:
    """The hash the demo gives its people (one hash for all: a public password)."""
    return make_password(DEMO_PASSWORD, hasher=DemoPasswordHasher())


def demo_password_accounts(limit: int = 1000) -> list[str]:
    """E-mails of the accounts that accept the demo password in demo mode: every account
    hashed by `DemoPasswordHasher`, and — for demos loaded before it existed — accounts
    sharing one hash with others (only a loader hashing once for many people does that)
    that verifies the demo password."""
    users = User.objects.order_by("email")
    found = list(
        users.filter(password__startswith=DEMO_HASH_PREFIX).values_list("email", flat=True)[:limit]
    )
    shared = (
        User.objects.exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exclude(password__startswith=DEMO_HASH_PREFIX)
        .values("password")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("password", flat=True)
    )
    for encoded in shared[:20]:
        if check_password(DEMO_PASSWORD, encoded):
            found += users.filter(password=encoded).values_list("email", flat=True)[:limit]
    return found


class NotTheDemoPassword:
    """Password validator: the public demo password is nobody's real password."""

    def validate(self, password: str, user: Any = None) -> None:
        if is_demo_password(password):
            raise ValidationError(
                "That is the public demo password: choose another.", code="demo_password"
            )

    def get_help_text(self) -> str:
        return "Your password can’t be the public demo password."
