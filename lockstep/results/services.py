"""Leads, opportunities and rejection reasons."""

from __future__ import annotations

from lockstep.orgs.models import Organization
from lockstep.results.models import DEFAULT_REJECTION_REASONS, RejectionReason


def ensure_rejection_reasons(org: Organization) -> None:
    """Every organization starts with the default list; owners edit it afterwards."""
    if RejectionReason.objects.filter(org=org).exists():
        return
    RejectionReason.objects.bulk_create(
        RejectionReason(org=org, code=code, label=label, position=i)
        for i, (code, label) in enumerate(DEFAULT_REJECTION_REASONS)
    )
