"""Reading the tables imports take: CSV in any common encoding and delimiter, XLSX, or
records an API received — streamed, with the header cut at its last named column and a
report footer (a blank line, then one-cell lines) skipped and said."""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

MAX_COLUMNS = 500  # a header wider than this is not an export we can map
FOOTER_MAX_LINES = 20
SAMPLE = 64 * 1024
csv.field_size_limit(1024 * 1024)  # one cell larger than 1 MB is an error, not a crash


class FileError(Exception):
    """The file as a whole cannot be imported (empty, unreadable, a header we cannot use)."""


class Table:
    """A header and its rows, (row number, cells). `reopen()` reads it again from the
    start (an import may need a second pass)."""

    def __init__(
        self,
        header: list[str],
        rows: Iterator[tuple[int, list[str]]],
        reopen: Callable[[], Table] | None = None,
        close: Callable[[], None] | None = None,
        notes: list[str] | None = None,
        skip_blank: bool = True,
    ) -> None:
        self.header = header
        self.rows = rows
        self.notes: list[str] = notes if notes is not None else []
        self.skip_blank = skip_blank  # a file's blank lines; an API's empty record is an error
        self._reopen = reopen
        self._close = close

    @classmethod
    def from_records(cls, fields: Sequence[str], records: Sequence[dict[str, Any]]) -> Table:
        """Records an API received, numbered from 0 (errors name the item's index)."""

        def rows() -> Iterator[tuple[int, list[str]]]:
            for index, record in enumerate(records):
                yield index, ["" if record.get(f) is None else str(record.get(f)) for f in fields]

        return cls(
            list(fields), rows(), reopen=lambda: cls.from_records(fields, records), skip_blank=False
        )

    def reopen(self) -> Table:
        if self._reopen is None:
            raise FileError("The file cannot be read a second time.")
        return self._reopen()

    def close(self) -> None:
        if self._close is not None:
            self._close()


class CountingReader(io.RawIOBase):
    """Wraps a stream to tell how far the import has read (the progress bar)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self._stream.seek(offset, whence)
        return self.position

    def tell(self) -> int:
        return self.position

    def close(self) -> None:
        pass  # the stream belongs to the caller


def size_of(stream: IO[bytes]) -> int:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass
    here = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(here)
    return size


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a character cut at the end of the sample is fine
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252" if _decodes(sample, "cp1252") else "latin-1"


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def detect_delimiter(text: str) -> str:
    lines = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(lines, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def seekable(stream: IO[bytes]) -> IO[bytes]:
    """An import may read a file twice; spool what cannot be re-read (standard input). The
    spool is an unlinked temporary file: nothing is left behind, even if killed."""
    if stream.seekable():
        return stream
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    while chunk := stream.read(1024 * 1024):
        spool.write(chunk)
    spool.seek(0)
    return spool


def open_table(stream: IO[bytes]) -> Table:
    """The header and an iterator of (row number, cells); streams, never reads it all."""
    stream.seek(0)
    sample = stream.read(SAMPLE)
    stream.seek(0)
    if not sample.strip():
        raise FileError("The file is empty: it needs a header line and at least one row.")
    if sample.startswith(b"PK\x03\x04"):
        return _open_xlsx(stream)
    encoding = detect_encoding(sample)
    text = io.TextIOWrapper(io.BufferedReader(_Borrowed(stream)), encoding=encoding, newline="")
    delimiter = detect_delimiter(sample.decode(encoding, errors="ignore"))
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = trim_header(next(reader))
    except StopIteration as exc:
        raise FileError("The file is empty: it needs a header line and at least one row.") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise FileError(f"The header line cannot be read: {exc}.") from exc
    notes: list[str] = []
    rows = _without_footer(enumerate(reader, start=2), len(header), notes)
    return Table(header, rows, reopen=lambda: open_table(stream), notes=notes)


class _Borrowed(io.RawIOBase):
    """Lends the caller's stream to a text wrapper without letting the wrapper close it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        pass


def trim_header(cells: Sequence[Any]) -> list[str]:
    """The header up to its last named column (a sheet may claim 16,384 empty ones)."""
    header = ["" if c is None else str(c).strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileError("The first line names no columns: it must be the header.")
    if len(header) > MAX_COLUMNS:
        raise FileError(
            f"The header has {len(header):,} columns; an export has at most {MAX_COLUMNS}."
        )
    return header


def _open_xlsx(stream: IO[bytes]) -> Table:
    from openpyxl import load_workbook  # only when an XLSX arrives

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        first = next(sheet.iter_rows(max_row=1, values_only=True), None)
    except Exception as exc:  # noqa: BLE001 — any unreadable workbook is one clear error
        raise FileError(f"The spreadsheet cannot be read ({type(exc).__name__}).") from exc
    if first is None:
        book.close()
        raise FileError("The first sheet is empty: it needs a header row.")
    header = trim_header(first)
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        # max_col: cells right of the header are not read at all (however wide the sheet
        # claims to be)
        values = sheet.iter_rows(min_row=2, max_col=width, values_only=True)
        for number, row in enumerate(values, start=2):
            yield number, [_xlsx_cell(v) for v in row]

    notes: list[str] = []
    return Table(
        header,
        _without_footer(rows(), width, notes),
        reopen=lambda: _open_xlsx(stream),
        close=book.close,
        notes=notes,
    )


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number: 501, not 501.0
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _without_footer(
    rows: Iterator[tuple[int, list[str]]], width: int, notes: list[str]
) -> Iterator[tuple[int, list[str]]]:
    """Skip a report footer: after a blank line, only lines with one cell (the report's
    name, "Copyright…", "Confidential Information - Do Not Distribute", "Generated By…", the
    organization). Such lines are held back until the end of the file proves them a footer;
    a real row after them sends them on as ordinary rows."""
    held: list[tuple[int, list[str]]] = []
    after_blank = False
    for number, cells in rows:
        first = cells[0] if cells else ""
        if not after_blank and first and not first.isspace():  # most rows: pass them on
            yield number, cells
            continue
        if not "".join(cells).strip():
            after_blank = True
            continue
        if (
            width > 1
            and after_blank
            and len(held) < FOOTER_MAX_LINES
            and cells[0].strip()
            and not "".join(cells[1:]).strip()
        ):
            held.append((number, cells))
            continue
        yield from held
        held, after_blank = [], False
        yield number, cells
    if held:
        first = held[0][1][0].strip()
        notes.append(
            f"Skipped the report footer: {len(held)} line{'s' if len(held) > 1 else ''} "
            f"after a blank line, from row {held[0][0]} (“{first[:60]}”)."
        )
