from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from lockstep.core.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(render_markdown(text))  # noqa: S308 — sanitised by nh3


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key)


@register.filter
def get_stage(applicable: object, stage: str) -> bool:
    has = getattr(applicable, "has", None)
    return bool(has(stage)) if callable(has) else False


@register.filter
def minutes(value: int) -> str:
    """135 → "2 h 15 min"; 45 → "45 min"; 3000 → "50 h"."""
    value = int(value or 0)
    hours, rest = divmod(value, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest or hours >= 10 else f"{hours} h {rest} min"


@register.filter
def elapsed(start: dt.datetime | None, end: dt.datetime | None = None) -> str:
    """Django's `timesince` without its "0 minutes": "under a minute", "3 hours, 5 minutes"."""
    if start is None:
        return "—"
    end = end or timezone.now()
    if (end - start).total_seconds() < 60:
        return "under a minute"
    return timesince(start, end)


@register.filter
def ago(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """When something happened: "just now" in its first minute, then "3 hours ago"."""
    if moment is None:
        return "—"
    took = elapsed(moment, now)
    return "just now" if took == "under a minute" else f"{took} ago"


@register.filter
def duration(seconds: int | float | None) -> str:
    """Business time as people say it: "under a minute", "25 min", "3 h 10 min", "2 days"."""
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" if not rest or hours >= 10 else f"{hours} h {rest} min"
    days = round(hours / 24)
    return f"{days} days"


@register.filter
def workdays(minutes: int | None, day_minutes: int = 480) -> str:
    """Business minutes past a deadline: "40 min", "3 h", or "4 working days" beyond one
    working day (an SLA clock counts business hours only)."""
    if minutes is None:
        return "—"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < day_minutes:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h" if not rest or hours >= 10 else f"{hours} h {rest} min"
    days = round(minutes / max(day_minutes, 1))
    return f"{days} working day{'s' if days != 1 else ''}"


@register.filter
def plural(count: int, forms: str) -> str:
    """`{{ n|plural:"lead,leads" }}` → "1 lead", "3 leads"."""
    one, _, many = forms.partition(",")
    return f"{count} {one if count == 1 else (many or one + 's')}"


def counted(count: int, one: str, many: str) -> str:
    """For Python messages: counted(3, "lead", "leads") → "3 leads"."""
    return f"{count} {one if count == 1 else many}"
