"""Every CSV Lockstep exports goes through `core.csvexport`: cells a spreadsheet would run
as a formula open as text, the file opens in Excel with its accents, and a long export
streams."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.http import Http404
from django.test import RequestFactory

from lockstep.core.csvexport import Table, csv_response, export_response, safe_filename

HOSTILE = [
    "=1+2",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\tleading tab",
    "\rleading return",
]


def read(response: object) -> tuple[str, list[list[str]]]:
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    return body, list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_get_a_leading_apostrophe(value: str) -> None:
    _, rows = read(csv_response("x", ["Name"], [[value]]))
    assert rows[1] == ["'" + value]


def test_header_cells_are_escaped_too() -> None:
    _, rows = read(csv_response("x", ["=evil"], []))
    assert rows == [["'=evil"]]


def test_numbers_dates_and_empty_cells_stay_what_they_are() -> None:
    row = [-5, -2.5, Decimal("-12.50"), Decimal("10.00"), dt.date(2026, 12, 2),
           dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC), None, True, False, "Zoë", "a,b\"c"]  # fmt: skip
    body, rows = read(csv_response("x", ["h"] * len(row), [row]))
    assert rows[1] == ["-5", "-2.5", "-12.50", "10", "2026-12-02", "2026-12-02T09:30:00+00:00",
                       "", "yes", "no", "Zoë", 'a,b"c']  # fmt: skip


def test_utf8_with_a_byte_order_mark_as_an_attachment() -> None:
    response = csv_response("Atlas: funnel / EMEA", ["Team"], [["Zürich"]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="atlas-funnel-emea.csv"'
    body, _ = read(response)
    assert body.startswith("\ufeffTeam\r\n")
    assert "Zürich" in body


def test_rows_are_streamed_not_built_in_memory() -> None:
    produced: list[int] = []

    def rows():  # type: ignore[no-untyped-def]
        for i in range(3):
            produced.append(i)
            yield [i]

    response = csv_response("x", ["n"], rows())
    assert produced == []  # nothing read until the response is sent
    chunks = iter(response.streaming_content)  # type: ignore[arg-type]
    next(chunks)  # the header
    next(chunks)
    assert produced == [0]


def test_safe_filenames() -> None:
    assert safe_filename('../../etc/passwd"; x=1') == "etc-passwd-x-1"
    assert safe_filename("") == "export"


def test_export_response_answers_the_named_table_or_404() -> None:
    request = RequestFactory().get("/", {"export": "b"})
    tables = [Table("a", "a", ["A"], [[1]]), Table("b", "b", ["B"], lazy_rows=lambda: [["=x"]])]
    response = export_response(request, tables)
    assert response is not None
    assert read(response)[1] == [["B"], ["'=x"]]
    assert export_response(RequestFactory().get("/"), tables) is None
    with pytest.raises(Http404):
        export_response(RequestFactory().get("/", {"export": "c"}), tables)
