"""Validated input for webhook services (the form on the webhooks page and the API)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebhookInput:
    url: str
    events: tuple[str, ...]
    format: str = "json"
    description: str = ""
    allow_private: bool = False
    active: bool = True
