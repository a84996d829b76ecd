"""Reading the values CRM exports hold: dates with one day/month order per file and column,
amounts with symbols, and contact values that are the CRM's to keep."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# 24/02/2026, 2/24/2026, 24.02.2026, 2026/02/24, 24-02-26, each with an optional time
# (14:05, 14:05:33, 2:05 PM, "2/24/2026, 9:14 AM").
NUMERIC_DATE = re.compile(
    r"(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})"
    r"(?:(?:,?\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
)
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
# 24 Feb 2026, 24-Feb-2026, Feb 24, 2026 (with an optional time): never ambiguous
NAMED_DATE = re.compile(
    r"(?:(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{4})|([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4}))"
    r"(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
)
ORDERS = {"dmy": "day first", "mdy": "month first"}
CACHE_LIMIT = 20_000


class ValueProblem(ValueError):
    pass


def _bad_date(text: str) -> ValueProblem:
    return ValueProblem(f"“{text[:40]}” is not a date (use 2026-03-31 or 31/03/2026)")


@dataclass(frozen=True)
class DateValue:
    """One cell read both ways: `proves` is the order it proves ("dmy"/"mdy"), or "" if
    it reads the same either way (ISO, a named month, 03/03) or "?" if ambiguous; `dmy`
    and `mdy` are the cell read day first and month first (the same value unless "?")."""

    proves: str
    dmy: dt.datetime
    mdy: dt.datetime

    @classmethod
    def one(cls, value: dt.datetime, proves: str = "") -> DateValue:
        return cls(proves, value, value)


def read_date(text: str, tz: zoneinfo.ZoneInfo) -> DateValue:
    """Read one date cell without deciding its order (`DateColumn` decides per file)."""
    value = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is not None:
        return DateValue.one(_aware(parsed, tz, value))
    match = NUMERIC_DATE.fullmatch(value)
    if match is None:
        return _named(value, tz)
    a, b, c, hour, minute, second, half = match.groups()
    clock = _clock(value, hour, minute, second, half)
    if len(a) == 4:  # year first: 2026/02/24
        return DateValue.one(_make(value, int(a), int(b), int(c), clock, tz))
    if len(c) not in (2, 4) or len(a) > 2:
        raise _bad_date(value)
    year = int(c) + (2000 if len(c) == 2 else 0)
    first, second_part = int(a), int(b)
    if first == second_part:
        return DateValue.one(_make(value, year, first, first, clock, tz))
    if first > 12:
        return DateValue.one(_make(value, year, second_part, first, clock, tz), "dmy")
    if second_part > 12:
        return DateValue.one(_make(value, year, first, second_part, clock, tz), "mdy")
    return DateValue(
        "?",
        _make(value, year, second_part, first, clock, tz),
        _make(value, year, first, second_part, clock, tz),
    )


def _named(value: str, tz: zoneinfo.ZoneInfo) -> DateValue:
    match = NAMED_DATE.fullmatch(value)
    if match is None:
        raise _bad_date(value)
    day1, month1, year1, month2, day2, year2, hour, minute, second, half = match.groups()
    month = MONTHS.get((month1 or month2 or "").lower())
    if month is None:
        raise _bad_date(value)
    day, year = int(day1 or day2), int(year1 or year2)
    clock = _clock(value, hour, minute, second, half)
    return DateValue.one(_make(value, year, month, day, clock, tz))


def _clock(
    text: str, hour: str | None, minute: str | None, second: str | None, half: str | None
) -> tuple[int, int, int]:
    if hour is None:
        return 0, 0, 0
    h, m, s = int(hour), int(minute or 0), int(second or 0)
    if half:
        if not 1 <= h <= 12:
            raise _bad_date(text)
        h = h % 12 + (12 if half in "Pp" else 0)
    if h > 23 or m > 59 or s > 59:
        raise _bad_date(text)
    return h, m, s


def _make(
    text: str, year: int, month: int, day: int, clock: tuple[int, int, int], tz: zoneinfo.ZoneInfo
) -> dt.datetime:
    try:
        value = dt.datetime(year, month, day, *clock, tzinfo=tz)
    except ValueError as exc:
        raise _bad_date(text) from exc
    return _in_range(value, text)


def _aware(value: dt.datetime, tz: zoneinfo.ZoneInfo, text: str) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return _in_range(value, text)


def _in_range(value: dt.datetime, text: str) -> dt.datetime:
    if not 1990 <= value.year <= 2100:
        raise ValueProblem(f"“{text[:40]}” is out of range")
    return value


def parse_datetime(value: str, *, date_order: str, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """One value on its own: an ambiguous date such as 03/04/2026 follows `date_order`
    (imports read whole columns with `DateColumn` instead)."""
    read = read_date(value, tz)
    return read.mdy if date_order == "mdy" else read.dmy


@dataclass(frozen=True)
class OrderProof:
    row: int
    text: str


class DateColumn:
    """Reads one column of one file with one day/month order.

    The order is decided by the column's unambiguous values: a first part over 12 proves
    day first (24/02/2026), a second part over 12 proves month first (2/24/2026). A column
    proving both is refused, naming the two rows. With nothing proven the organization's
    setting applies. Ambiguous values met before the proof are read with the order known
    so far; if the proof later says otherwise, `needs_second_pass` asks the import to read
    the file again with the decided order, so every row reads the same way."""

    def __init__(
        self, label: str, *, fallback: str, tz: zoneinfo.ZoneInfo, fixed: str | None = None
    ) -> None:
        self.label, self.fallback, self.tz, self.fixed = label, fallback, tz, fixed
        self.proof: dict[str, OrderProof] = {}
        self.read_as: dict[str, int] = {}  # order → ambiguous values read that way
        self.misread = False
        self._cache: dict[str, DateValue | ValueProblem] = {}

    def current(self) -> str:
        if self.fixed:
            return self.fixed
        for order in ("dmy", "mdy"):
            if order in self.proof:
                return order
        return self.fallback

    def read(self, text: str, row: int) -> dt.datetime:
        cached = self._cache.get(text)
        if cached is None:
            try:
                cached = read_date(text, self.tz)
            except ValueProblem as exc:
                cached = exc
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[text] = cached
        if isinstance(cached, ValueProblem):
            raise cached
        proves = cached.proves
        if proves == "?":
            order = self.current()
            self.read_as[order] = self.read_as.get(order, 0) + 1
            return cached.mdy if order == "mdy" else cached.dmy
        if proves and proves not in self.proof:
            self.proof[proves] = OrderProof(row, text.strip())
            other = "mdy" if proves == "dmy" else "dmy"
            if self.read_as.get(other) and len(self.proof) == 1:
                self.misread = True  # earlier ambiguous values were read the other way
        return cached.dmy

    @property
    def order(self) -> str:
        """The order the column is read with (once the pass is over)."""
        if self.fixed:
            return self.fixed
        proven = [o for o in ("dmy", "mdy") if o in self.proof]
        return proven[0] if len(proven) == 1 else self.fallback

    def contradiction(self) -> str | None:
        if len(self.proof) < 2:
            return None
        d, m = self.proof["dmy"], self.proof["mdy"]
        return (
            f"the dates in “{self.label}” are written both ways: row {d.row} (“{d.text}”) "
            f"puts the day first, row {m.row} (“{m.text}”) the month first. Export the "
            "file again with one date format."
        )

    def needs_second_pass(self) -> bool:
        return any(order != self.order and n for order, n in self.read_as.items())

    def note(self) -> str | None:
        """What the summary says about this column's order (None if nothing was ambiguous
        and nothing proven: ISO dates need no order)."""
        order = ORDERS[self.order]
        if self.proof:
            proof = self.proof[self.order]
            return f"Dates in “{self.label}”: {order} (row {proof.row} reads “{proof.text}”)."
        if self.read_as:
            return (
                f"Dates in “{self.label}”: {order}, the organization's setting (no value in "
                "the file tells day and month apart)."
            )
        return None


# --- amounts ------------------------------------------------------------------------------


def parse_amount(value: str) -> Decimal:
    """ "$1,234.56", "€1.234,56", "1 234,56", "EUR 1234" → Decimal. Negative is refused.
    With both marks the last one is the decimal mark; a lone mark followed by exactly three
    digits groups thousands (1,234 and 1.500 are both a thousand and more)."""
    text = re.sub(r"[^\d,.\-()]", "", value.replace("\u00a0", " "))
    if not text or not re.search(r"\d", text):
        raise ValueProblem(f"“{value[:40]}” is not an amount")
    if text.startswith("-") or text.startswith("("):
        raise ValueProblem(f"“{value[:40]}” is negative: amounts must be 0 or more")
    text = text.strip("()")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text or "." in text:
        mark = "," if "," in text else "."
        parts = text.split(mark)
        # one mark followed by exactly three digits groups thousands: 1,234 and 1.500
        decimal_mark = "" if len(parts) > 2 or len(parts[1]) == 3 else mark
    else:
        decimal_mark = ""
    thousands = {",", "."} - {decimal_mark}
    for mark in thousands:
        text = text.replace(mark, "")
    if decimal_mark == ",":
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueProblem(f"“{value[:40]}” is not an amount") from exc
    if amount > Decimal("99999999999999"):
        raise ValueProblem(f"“{value[:40]}” is too large")
    return amount.quantize(Decimal("0.01"))


# --- contact values: the CRM's to keep ------------------------------------------------------

# local@domain.tld: no spaces, one @, a dot in the domain. Any script (RFC 6531: zoë@…).
EMAIL_SHAPE = re.compile(
    r"[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f.][^@\s\x00-\x1f]*\.[^@\s\x00-\x1f.]{2,}"
)
COMBINING = {"Mn", "Me", "Mc"}
NUMBER_LIKE = re.compile(r"[+-]?[\d\s().,/-]+")  # a phone number or amount, not a formula
JOINERS = {"\u200d", "\u200c", "\ufe0e", "\ufe0f"}


def looks_like_email(value: str) -> bool:
    return bool(EMAIL_SHAPE.fullmatch(value)) and ".." not in value.split("@")[-1]


def looks_like_phone(value: str) -> bool:
    return any(ch.isdigit() for ch in value)


def truncate(value: str, limit: int) -> str:
    """At most `limit` characters, never splitting a character from the accents or
    joiners that follow it (é written as e + ◌́ stays whole or goes whole)."""
    if len(value) <= limit:
        return value
    end = limit
    while end > 0 and (unicodedata.category(value[end]) in COMBINING or value[end] in JOINERS):
        end -= 1
    return value[:end]


def looks_like_formula(value: str) -> bool:
    """A value a spreadsheet would run (=…, +…, -…, @…). Stored as given; escaped in every
    CSV Lockstep writes (`core.imports.spreadsheet_safe`)."""
    return value[:1] in ("=", "+", "-", "@") and not NUMBER_LIKE.fullmatch(value)
