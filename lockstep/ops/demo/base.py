"""The demo organization's slug and its public logins."""

from __future__ import annotations

from lockstep.accounts.passwords import DEMO_PASSWORD

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "DEMO_SLUG"]

DEMO_SLUG = "demo"
DEMO_LOGINS = [
    ("owner@demo.example", "Owner"),
    ("marketer@demo.example", "Marketer"),
    ("leader@demo.example", "Sales leader"),
    ("rep@demo.example", "Rep"),
    ("partner@demo.example", "Partner rep"),
    ("viewer@demo.example", "Viewer"),
]
