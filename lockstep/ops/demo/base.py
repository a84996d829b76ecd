"""The demo organization's slug and its public logins."""

from __future__ import annotations

DEMO_SLUG = "demo"
DEMO_PASSWORD = "lockstep-demo"  # noqa: S105 — public demo password, refused outside demo mode
DEMO_LOGINS = [
    ("owner@demo.example", "Owner"),
    ("marketer@demo.example", "Marketer"),
    ("leader@demo.example", "Sales leader"),
    ("rep@demo.example", "Rep"),
    ("partner@demo.example", "Partner rep"),
    ("viewer@demo.example", "Viewer"),
]
