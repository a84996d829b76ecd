"""Every table Lockstep exports, as CSV: one streaming response, safe in spreadsheets.

- Cells are escaped with `core.imports.spreadsheet_safe` (the one rule for every CSV the
  product writes): text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
  leading apostrophe, so Excel, LibreOffice and Google Sheets open it as text, never as a
  formula. Numbers stay numbers (a negative number is not text).
- UTF-8 with a byte-order mark, so Excel opens accented names correctly with a double click.
- Streamed row by row: a long export never sits in memory.

Views build the rows from the same data the page shows (`?export=<table>` on the page's own
URL), so a CSV always agrees with the table beside it."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404, HttpRequest, StreamingHttpResponse

from lockstep.core.imports import spreadsheet_safe

BOM = "\ufeff"


class _Echo:
    """A file-like object whose write returns the line, for csv.writer to stream."""

    def write(self, value: str) -> str:
        return value


def cell(value: object) -> object:
    """One value as a CSV cell: dates in ISO 8601, decimals without exponent, None empty,
    booleans yes/no, and text escaped for spreadsheets."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, int | float):
        return value
    return spreadsheet_safe(str(value))


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([cell(h) for h in header])
    for row in rows:
        yield writer.writerow([cell(v) for v in row])


def safe_filename(name: str) -> str:
    """A download name made of letters, digits, dashes and dots only."""
    cleaned = re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-.").lower()
    return (cleaned or "export")[:120]


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A CSV download (`filename` without the extension)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@dataclass
class Table:
    """A table a page shows and exports (`?export=<key>` on the page's own URL)."""

    key: str  # the `export` query value
    filename: str  # without ".csv"
    header: Sequence[str]
    rows: Iterable[Sequence[object]] = field(default_factory=list)
    # rows that cost a query and only the CSV needs (the page shows fewer of them)
    lazy_rows: Callable[[], Iterable[Sequence[object]]] | None = None

    def all_rows(self) -> Iterable[Sequence[object]]:
        return self.lazy_rows() if self.lazy_rows is not None else self.rows


def export_response(request: HttpRequest, tables: Iterable[Table]) -> StreamingHttpResponse | None:
    """The CSV of the table `?export=` names, None when the page itself is asked, 404 for
    a table the page does not have. Views call it after building their context, so an
    export holds exactly the rows of the table beside it (same data, same scope)."""
    wanted = request.GET.get("export")
    if not wanted:
        return None
    for table in tables:
        if table.key == wanted:
            return csv_response(table.filename, table.header, table.all_rows())
    raise Http404("No such table on this page")
