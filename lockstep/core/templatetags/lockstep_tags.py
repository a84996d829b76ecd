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
