"""Writing the audit log and activity events. Called by every domain's services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from lockstep.core.events import Action, Verb
from lockstep.core.models import ActivityEvent, AuditLog

if TYPE_CHECKING:
    from lockstep.accounts.models import User
    from lockstep.orgs.models import Organization


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in after
        if before.get(key) != after.get(key)
    }


def record_audit(
    *,
    org: Organization,
    acting_user: User | None,
    action: Action,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditLog:
    return AuditLog.objects.create(
        org=org,
        actor=acting_user,
        action=action,
        object_type=obj._meta.model_name or "" if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        note=note,
    )


def emit_event(
    *,
    org: Organization,
    actor: User | None,
    verb: Verb,
    program_id: int | None = None,
    obj: models.Model | None = None,
    payload: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
) -> ActivityEvent:
    return ActivityEvent.objects.create(
        org=org,
        actor=actor,
        verb=verb,
        program_id=program_id,
        object_type=obj._meta.model_name or "" if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        payload=payload or {},
        occurred_at=occurred_at or timezone.now(),
    )
