"""`bench_base`: the bench's yardstick page, mounted only with LOCKSTEP_BENCH=1. The health
probes are in `ops/health.py`."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lockstep.core.permissions import Perm
from lockstep.core.tenancy import OrgRequest, org_view


@org_view(Perm.VIEW_ORG)
@require_GET
def bench_base(request: OrgRequest) -> HttpResponse:
    """The bench's yardstick (mounted only with LOCKSTEP_BENCH=1): the base layout for the
    signed-in member — header, navigation, unread count — and nothing else."""
    return render(request, "base.html")
