from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

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
