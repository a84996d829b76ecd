"""Signing deliveries, and verifying them (what a receiver does; docs/api.md).

Each request carries `X-Lockstep-Timestamp` (Unix seconds) and
`X-Lockstep-Signature: v1=<hex>`, the HMAC-SHA256 with the webhook's secret of
`<timestamp>.<raw body>`. A receiver recomputes it, compares in constant time, and refuses
timestamps older than its replay window (5 minutes) — and ignores a `X-Lockstep-Delivery`
id it already processed."""

from __future__ import annotations

import hashlib
import hmac

REPLAY_WINDOW_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    now: float,
    window: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """True if the signature is the secret's and the timestamp is within the window."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent) > window:
        return False
    expected = signature(secret, sent, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))
