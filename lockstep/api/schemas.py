"""Shapes shared by several routers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from lockstep.accounts.models import User
from lockstep.core.params import FIRST_DAY, LAST_DAY


class Input(Schema):
    """A request body: a misspelt or unknown field is refused, never silently ignored, and
    values must have the documented JSON type (no "5" for 5, no 0 for false)."""

    model_config = ConfigDict(extra="forbid", strict=True)


# Dates, times and amounts arrive as JSON strings: these read them (and only them) in the
# ISO forms the document promises, whatever the strictness of the model around them.
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$"
)
LOCAL_TIME = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"
DECIMAL = re.compile(r"^-?\d{1,14}(\.\d{1,2})?$")


def _matching(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.match(value):
            raise ValueError(f"Expected {what}.")
        if isinstance(value, bool | int | float) and not isinstance(value, str):
            raise ValueError(f"Expected {what} as a string.")
        return value

    return BeforeValidator(check)


def _decimal(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("Expected a number, e.g. 250.00.")
    if isinstance(value, str) and not DECIMAL.match(value):
        raise ValueError("Expected a number with at most two decimals, e.g. 250.00.")
    return value


def _plan_date(value: dt.date) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"Expected a date between {FIRST_DAY:%Y} and {LAST_DAY:%Y}.")
    return value


IsoDate = Annotated[
    dt.date,
    Field(strict=False),
    _matching(ISO_DATE, "a date like 2027-03-01"),
    AfterValidator(_plan_date),  # the same range as the forms' (core.forms.PlanDateField)
]
IsoDateTime = Annotated[
    dt.datetime,
    Field(strict=False),
    _matching(ISO_DATETIME, "a date and time like 2027-03-01T09:30:00Z"),
]
Amount = Annotated[Decimal, Field(strict=False), BeforeValidator(_decimal)]
LocalTime = Annotated[
    str,
    Field(pattern=LOCAL_TIME, description="A local time, HH:MM, in the organization's time zone."),
]


def _query_bool(value: Any) -> Any:
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("Expected true or false.")
    return value


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]


class PersonOut(Schema):
    id: int = Field(description="The person's user id.")
    email: str
    name: str


def person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.full_name}


class Done(Schema):
    """An action that changes state and has nothing else to say."""

    ok: bool = True
    detail: str = ""
