"""What every router shares: declaring an operation with its permission and documented
answers, ids in paths, cursor pagination, and validating input with the UI's own forms
(so a rule is written once, whether it arrives from a browser or a program)."""

from __future__ import annotations

import base64
import binascii
import functools
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django import forms
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja.params import functions as params
from pydantic import Field

from lockstep.api.auth import require
from lockstep.api.problems import Problem, field_error, invalid
from lockstep.core.permissions import Perm

MAX_ID = 2**63 - 1
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
PERMISSION_KEY = "x-lockstep-permission"

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=Model)

READ_ERRORS = (400, 401, 403, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 429)


def Id(description: str = "") -> Any:  # noqa: N802 — reads like ninja's Path(...)
    """A positive database id in the path (bounded, so no input overflows the database)."""
    return params.Path(..., ge=1, le=MAX_ID, description=description, example=1)


def query(default: Any, **kwargs: Any) -> Any:
    """A query parameter (ninja's `Query(...)`, typed for mypy)."""
    return params.Query(default, **kwargs)


def form_field(default: Any, **kwargs: Any) -> Any:
    """A multipart form field (ninja's `Form(...)`)."""
    return params.Form(default, **kwargs)


def file_field(default: Any, **kwargs: Any) -> Any:
    """An uploaded file part (ninja's `File(...)`)."""
    return params.File(default, **kwargs)


def answers(success: dict[int, Any], write: bool) -> dict[int, Any]:
    codes = WRITE_ERRORS if write else READ_ERRORS
    return {**success, **dict.fromkeys(codes, Problem)}


def endpoint(
    decorator: Callable[..., Callable[[F], F]],
    path: str,
    perm: Perm,
    response: Any,
    *,
    status: int = 200,
    write: bool | None = None,
    **kwargs: Any,
) -> Callable[[F], F]:
    """Declare an operation: its permission (checked before anything else: a role without
    it gets 403; documented as `x-lockstep-permission`), its success body and every
    problem it can answer."""
    method = decorator.__name__
    is_write = method != "get" if write is None else write
    success = {status: response} if status != 204 else {204: None}

    def wrap(func: F) -> F:
        # Resolve the handler's annotations now, in its own module: ninja reads them from
        # the wrapper, whose globals are this module's.
        func.__annotations__ = typing.get_type_hints(func, include_extras=True)

        @functools.wraps(func)
        def checked(request: HttpRequest, *args: Any, **kw: Any) -> Any:
            require(request, perm)
            return func(request, *args, **kw)

        extra = {PERMISSION_KEY: perm.value, **kwargs.pop("openapi_extra", {})}
        register = decorator(
            path, response=answers(success, is_write), openapi_extra=extra, **kwargs
        )
        return register(typing.cast(F, checked))

    return wrap


# --- cursor pagination ------------------------------------------------------------------


def cursor_param() -> Any:
    return params.Query(
        None,
        max_length=100,
        description="From `next_cursor` of the previous page; leave out for the first page.",
    )


def limit_param() -> Any:
    return params.Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        number = int(value)
        if kind != "id" or not 0 <= number <= MAX_ID:
            raise ValueError(cursor)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        error = field_error("cursor", "Not a cursor this API gave out.", location="query")
        raise invalid([error]) from exc
    return number


def page(
    queryset: QuerySet[M], cursor: str | None, limit: int, convert: Callable[[M], Any]
) -> dict[str, Any]:
    """Keyset pagination by id (oldest first): stable while rows are added, one query."""
    after = decode_cursor(cursor)
    rows = list(queryset.filter(pk__gt=after).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [convert(r) for r in rows],
        "next_cursor": encode_cursor(rows[-1].pk) if more and rows else None,
    }


def next_cursor_field() -> Any:
    return Field(None, description="Pass as `cursor` for the next page; null on the last page.")


# --- validating with the UI's forms --------------------------------------------------------


def form_errors(form: forms.BaseForm, rename: dict[str, str] | None = None) -> list[dict[str, str]]:
    rename = rename or {}
    errors = []
    for name, messages in form.errors.get_json_data().items():
        field = "" if name == "__all__" else rename.get(name, name)
        for message in messages:
            errors.append(field_error(field, str(message["message"])))
    return errors


FormT = TypeVar("FormT", bound=forms.BaseForm)


def bound(
    form_class: Callable[..., FormT],
    data: dict[str, Any],
    *,
    rename: dict[str, str] | None = None,
    files: dict[str, Any] | None = None,
    **kwargs: Any,
) -> FormT:
    """The form bound to the API's data, valid; otherwise a 400 problem with its errors
    (form field names translated back to the API's names with `rename`)."""
    form = form_class(_form_data(data), files, **kwargs)
    if not form.is_valid():
        raise invalid(form_errors(form, rename))
    return form


class _FormData(dict[str, Any]):
    """A dict that answers `getlist` like a QueryDict (multiple-choice widgets ask it)."""

    def getlist(self, key: str, default: Any = None) -> list[Any]:
        value = self.get(key, default if default is not None else [])
        return list(value) if isinstance(value, list | tuple) else [value]


def _form_data(data: dict[str, Any]) -> _FormData:
    out = _FormData()
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                out[key] = "on"
            continue
        out[key] = value
    return out


def ids_of(objs: Iterable[Model]) -> list[int]:
    return [o.pk for o in objs]


def one_of(values: Sequence[str]) -> str:
    return ", ".join(values)
