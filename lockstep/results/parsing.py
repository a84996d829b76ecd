"""Reading the values CRM exports hold: dates in several formats, amounts with symbols."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal, InvalidOperation

DATE_FORMATS_DMY = ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"]
DATE_FORMATS_MDY = ["%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"]
TIME_SUFFIXES = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", ", %I:%M %p", ", %H:%M"]
FORMULA = re.compile(r"^(=|@|[+-][^\d\s.,])")


class ValueProblem(ValueError):
    pass


def looks_like_formula(value: str) -> bool:
    """Cells a spreadsheet would run as a formula (=SUM(…), @cmd, +A1) are refused."""
    return bool(FORMULA.match(value))


def parse_datetime(value: str, *, date_order: str, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """ISO 8601, or the US (month first) / EU (day first) formats CRM exports use; an
    ambiguous date such as 03/04/2026 follows the organization's date order."""
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        orders = (
            DATE_FORMATS_DMY + DATE_FORMATS_MDY
            if date_order == "dmy"
            else DATE_FORMATS_MDY + DATE_FORMATS_DMY
        )
        for base in orders:
            for suffix in TIME_SUFFIXES:
                try:
                    parsed = dt.datetime.strptime(text.upper(), base + suffix)  # noqa: DTZ007
                    break
                except ValueError:
                    continue
            if parsed is not None:
                break
    if parsed is None:
        raise ValueProblem(f"“{text[:40]}” is not a date (use 2026-03-31 or 31/03/2026)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    if not 1990 <= parsed.year <= 2100:
        raise ValueProblem(f"“{text[:40]}” is out of range")
    return parsed


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
