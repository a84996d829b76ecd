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


class IdList(models.Aggregate):
    """The ids of a group as a list, in one column: `JSON_GROUP_ARRAY` on SQLite,
    `JSONB_AGG` on PostgreSQL (both read back through JSONField). Lets a page take a
    many-to-many's ids along with another query instead of prefetching it separately."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_postgresql(self, compiler: object, connection: object, **extra: object) -> object:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra)  # type: ignore[arg-type]


def id_list(through: type[models.Model], key: str, value: str) -> models.Subquery:
    """A correlated subquery: the `value` ids of the `through` rows whose `key` is the outer
    row's primary key (None when there is none)."""
    return models.Subquery(
        through._default_manager.filter(**{key: models.OuterRef("pk")})
        .order_by()
        .values(key)
        .annotate(ids=IdList(value))
        .values("ids")
    )


def ids_of(value: object) -> list[int]:
    """The ids an `id_list` column read back (an empty group reads as None)."""
    return [int(v) for v in value or [] if v is not None]  # type: ignore[attr-defined]


def set_prefetched(obj: models.Model, name: str, rows: list[_M], model: type[_M]) -> None:
    """Hand `obj.<name>.all()` rows the page already has, as a prefetch would (no query)."""
    qs = model._default_manager.all()
    qs._result_cache = rows
    qs._prefetch_done = True  # type: ignore[attr-defined]
    if not hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    obj._prefetched_objects_cache[name] = qs  # type: ignore[attr-defined]
