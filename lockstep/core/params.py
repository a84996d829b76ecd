"""Reading ids, numbers and months from posted forms and query strings, strictly.

`str.isdigit()` accepts "²" and "١", and `int()` of a 20-digit string overflows the
database's 64-bit integers: every id a client sends goes through `posted_id`, so junk is
"no such object" (0 matches nothing), never a server error."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def posted_id(value: object) -> int:
    """The id in a posted value, or 0 (which matches no row) when it is not one."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value.strip()):
        return 0
    number = int(value.strip())
    return number if number <= MAX_ID else 0


def posted_ids(values: Iterable[object]) -> list[int]:
    """The valid ids among posted values (junk is dropped)."""
    return [n for n in (posted_id(v) for v in values) if n]


def parse_month(value: object) -> dt.date | None:
    """The first day of a "YYYY-MM" month, or None for anything else (year 1 to 9999)."""
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value.strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (dt.MINYEAR <= year <= dt.MAXYEAR and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)
