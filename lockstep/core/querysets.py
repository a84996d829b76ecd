"""The scoped queryset every tenant-owned model uses (imported by models: no views here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar

from django.db import models

if TYPE_CHECKING:
    from lockstep.orgs.models import Organization

_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M]):
    """Every tenant-owned model's queryset: `.for_org(org)` is the one way to scope."""

    def for_org(self, org: Organization) -> Self:
        return self.filter(org=org)
