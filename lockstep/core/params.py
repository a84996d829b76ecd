"""Reading ids, numbers and months from posted forms and query strings, strictly.

`str.isdigit()` accepts "²" and "١", and `int()` of a 20-digit string overflows the
database's 64-bit integers: every id a client sends goes through `posted_id`, so junk is
"no such object" (0 matches nothing), never a server error. Free text read straight from a
query string or a form (not through a form field, which already refuses them) goes through
`posted_text`: NUL characters (PostgreSQL refuses them) and lone surrogates are dropped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

MAX_ID = 2**63 - 1
# Dates a plan can hold (launch, end, activities, expiry, holidays, calendar months): room
# on both sides for the arithmetic pages do (training due N days after launch, six months
# of calendar), so year 1 and 9999 never reach it.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2199, 12, 31)
_DIGITS = re.compile(r"[0-9]{1,19}")


def posted_id(value: object) -> int:
    """The id in a posted value, or 0 (which matches no row) when it is not one."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value.strip()):
        return 0
    number = int(value.strip())
    return number if number <= MAX_ID else 0


UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")


def posted_text(value: object, max_length: int) -> str:
    """Text from a query string or a form, stripped and cut to `max_length`, without the
    characters no database column takes (NUL, lone UTF-16 surrogates)."""
    if not isinstance(value, str):
        return ""
    return UNSAFE_TEXT.sub("", value).strip()[:max_length]


def posted_ids(values: Iterable[object]) -> list[int]:
    """The valid ids among posted values (junk is dropped)."""
    return [n for n in (posted_id(v) for v in values) if n]


def parse_month(value: object) -> dt.date | None:
    """The first day of a "YYYY-MM" month from FIRST_DAY's to LAST_DAY's, or None for
    anything else (so a page showing months after it never runs past year 9999)."""
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value.strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (FIRST_DAY.year <= year <= LAST_DAY.year and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)
