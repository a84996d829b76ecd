"""Two-factor log-in (django-otp): an authenticator app (TOTP) plus single-use recovery
codes. A person with a confirmed app gives a code after their password before they are
logged in (`accounts.views.login_code`); an organization can require it of its owners and
marketers (`Organization.require_two_factor`, enforced by `orgs.middleware`)."""

from __future__ import annotations

import base64
import re
from typing import Any

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lockstep.accounts.models import User
from lockstep.core.permissions import Role

RECOVERY_CODES = 10
ROLES_THAT_CAN_BE_REQUIRED = (Role.OWNER, Role.MARKETER)
_TOTP = re.compile(r"[0-9]{6}")
_RECOVERY = re.compile(r"[a-z2-7]{8}")


def has_two_factor(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )


def users_with_two_factor(user_ids: list[int]) -> set[int]:
    confirmed = TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True)
    return set(confirmed.values_list("user_id", flat=True))


def required_by(user: User) -> list[str]:
    """The organizations whose setting requires two-factor of this person's role."""
    return list(
        user.memberships.filter(
            org__require_two_factor=True, role__in=ROLES_THAT_CAN_BE_REQUIRED
        ).values_list("org__name", flat=True)
    )


@transaction.atomic
def start_setup(user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for the person (a previous unconfirmed one goes)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def pending_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def qr_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URI as an inline SVG QR code (paths only: no script, no style)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = str(image.to_string(encoding="unicode"))
    return mark_safe(svg)  # noqa: S308 — drawn here from the URI: no markup from input


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    raw = base64.b32encode(device.bin_key).decode()
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _clean(code: str) -> str:
    return "".join(str(code).split()).lower()[:32]


@transaction.atomic
def confirm_setup(user: User, code: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it: it becomes the person's only
    one, and they get fresh recovery codes (returned once). None if the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    code = _clean(code)
    if device is None or not _TOTP.fullmatch(code) or not device.verify_token(code):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user)


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes; the new ones are shown once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def verify(user: User, code: str) -> bool:
    """A current code from the person's authenticator, or one of their recovery codes (each
    works once: it is deleted in one statement, so two simultaneous uses cannot both pass)."""
    code = _clean(code)
    if _TOTP.fullmatch(code):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        return device is not None and bool(device.verify_token(code))
    if _RECOVERY.fullmatch(code):
        used = StaticToken.objects.filter(
            device__user=user, device__confirmed=True, token=code
        ).delete()[0]
        return bool(used == 1)
    return False


@transaction.atomic
def disable(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
