"""The one import service: read a table, validate every row, then write all or nothing.

A spec (teams, users, attendance, leads, opportunities) says which columns it takes, how to
validate one row, which checks span rows, and how to write valid rows. This module reads
the file — CSV in UTF-8 (with or without BOM), UTF-16 or Latin-1, separated by commas,
semicolons or tabs, or XLSX — checks the header, reports every bad row with its number,
column and a plain message, and writes nothing unless every row is good (or the caller
asked for a partial import).

Small files (teams, people) are validated in memory so cross-row checks can see the whole
file. Large ones (leads) are *streamed*: a first pass validates row by row keeping only
what cross-row checks need, a second pass writes in batches inside one transaction, so
memory stays flat whatever the file size."""

from __future__ import annotations

import codecs
import csv
import io
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from django.db import transaction

from lockstep.core.events import Action
from lockstep.core.services import record_audit

if TYPE_CHECKING:
    from lockstep.accounts.models import User
    from lockstep.orgs.models import Organization

T = TypeVar("T")
MAX_CELL = 10_000
SAMPLE = 64 * 1024
BATCH = 2000
csv.field_size_limit(1024 * 1024)  # one cell larger than 1 MB is an error, not a crash


@dataclass(frozen=True)
class RowError:
    row: int  # 1 = the header line, 2 = the first data row
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column “{self.column}”" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    kind: str
    dry_run: bool = False
    partial: bool = False
    rows: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def rejected_rows(self) -> int:
        return len({error.row for error in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        parts = [f"{self.counts[k]} {k}" for k in ("created", "updated", "unchanged")]
        parts.append(f"{self.rejected_rows} rejected")
        head = f"{self.kind}: {self.rows} rows — " + ", ".join(parts)
        if self.dry_run:
            return head + ". Dry run: nothing was written."
        if self.errors and not self.written:
            return head + ". Nothing was written."
        if self.errors:
            return head + ". The good rows were written (partial import)."
        return head + "."


class ImportSpec(Protocol[T]):
    kind: str
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]

    def validate_row(self, row_number: int, row: dict[str, str]) -> tuple[T | None, list[RowError]]:
        """Check one row on its own; return the cleaned item or the errors."""
        ...

    def validate_all(self, items: list[tuple[int, T]]) -> list[RowError]:
        """Checks that span rows: duplicates, references between rows, cycles."""
        ...

    def apply(self, items: list[tuple[int, T]], acting_user: User | None) -> Iterable[str]:
        """Write the items; yield one outcome (created/updated/unchanged) per item."""
        ...


class StreamingSpec(ImportSpec[T], Protocol[T]):
    """A spec for large files: cross-row checks see one row at a time."""

    def map_header(self, header: list[str]) -> tuple[dict[str, int], list[RowError]]:
        """Which column holds each field (presets, explicit mappings)."""
        ...

    def observe(self, row_number: int, item: T) -> list[RowError]:
        """Cross-row checks, fed every valid row in order (e.g. duplicate external ids)."""
        ...


class FileError(Exception):
    pass


class SeenIds:
    """The ids seen so far in one import, kept on disk (a temporary SQLite file) so memory
    stays flat however many rows the file has. `first_row(id, row)` returns the row where
    the id was first seen, or None the first time."""

    def __init__(self) -> None:
        self._file = tempfile.NamedTemporaryFile(suffix=".sqlite3")  # noqa: SIM115
        self._db = sqlite3.connect(self._file.name)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")

    def first_row(self, key: str, row: int) -> int | None:
        cursor = self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (key, row))
        if cursor.rowcount:
            return None
        found = self._db.execute("SELECT row FROM seen WHERE id = ?", (key,)).fetchone()
        return int(found[0]) if found else None

    def close(self) -> None:
        self._db.close()
        self._file.close()


# --- reading ------------------------------------------------------------------------------


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
    """The import reads a file twice; spool what cannot be re-read (standard input)."""
    if stream.seekable():
        return stream
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    while chunk := stream.read(1024 * 1024):
        spool.write(chunk)
    spool.seek(0)
    return spool


class _Borrowed(io.RawIOBase):
    """Lends the caller's stream to a text wrapper without letting the wrapper close it
    (the import reads the file twice)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        pass  # the stream belongs to the caller


def open_table(stream: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
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
        header = next(reader)
    except StopIteration as exc:
        raise FileError("The file is empty: it needs a header line and at least one row.") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise FileError(f"The header line cannot be read: {exc}.") from exc

    return [h.strip() for h in header], enumerate(reader, start=2)


def _open_xlsx(stream: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook  # only when an XLSX arrives

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — any unreadable workbook is one clear error
        raise FileError(f"The spreadsheet cannot be read ({type(exc).__name__}).") from exc
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = ["" if v is None else str(v).strip() for v in next(values)]
    except StopIteration as exc:
        raise FileError("The first sheet is empty: it needs a header row.") from exc

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if hasattr(value, "isoformat"):
            return str(value.isoformat())
        return str(value)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(values, start=2):
            yield number, [cell(v) for v in row]

    return header, rows()


def as_dicts(
    rows: Iterator[tuple[int, list[str]]], columns: dict[str, int], width: int
) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            yield number, RowError(number, "", "more cells than header columns")
            continue
        cells = cells + [""] * (width - len(cells))
        too_long = next((n for n, i in columns.items() if len(cells[i]) > MAX_CELL), None)
        if too_long:
            yield number, RowError(number, too_long, "cell is too long")
            continue
        yield number, {name: cells[i].strip() for name, i in columns.items()}


def check_header(header: list[str], spec: ImportSpec[Any]) -> tuple[dict[str, int], list[RowError]]:
    errors = []
    lowered = [h.lower() for h in header]
    known = set(spec.required_columns) | set(spec.optional_columns)
    expected = ", ".join(spec.required_columns + spec.optional_columns)
    for name in spec.required_columns:
        if name not in lowered:
            errors.append(RowError(1, name, f"missing column (expected columns: {expected})"))
    for name in lowered:
        if name not in known:
            label = name or "(empty)"
            errors.append(RowError(1, label, f"unknown column (expected columns: {expected})"))
    for name, count in Counter(lowered).items():
        if count > 1 and name in known:
            errors.append(RowError(1, name, "this column appears more than once"))
    return {name: lowered.index(name) for name in known if name in lowered}, errors


# --- running ------------------------------------------------------------------------------


def run_import(
    spec: ImportSpec[T],
    stream: IO[bytes],
    *,
    acting_user: User | None,
    dry_run: bool = False,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
    source: str = "cli",
    file_name: str = "",
) -> ImportReport:
    """Import a file with a spec; a written import leaves one summary row in the audit log
    (who, from where, which file, the counts)."""
    report = ImportReport(kind=spec.kind, dry_run=dry_run, partial=partial)
    stream = seekable(stream)
    try:
        if hasattr(spec, "observe"):
            _run_streaming(spec, stream, report, acting_user, progress)  # type: ignore[arg-type]
        else:
            _run_in_memory(spec, stream, report, acting_user)
    except FileError as exc:
        report.errors.append(RowError(1, "", str(exc)))
    except (csv.Error, UnicodeDecodeError) as exc:
        report.errors.append(RowError(report.rows + 2, "", f"the file cannot be read here: {exc}"))
    org: Organization | None = getattr(spec, "org", None)
    if report.written and org is not None:
        record_import(org, acting_user, report, source=source, file_name=file_name)
    return report


def record_import(
    org: Organization,
    acting_user: User | None,
    report: ImportReport,
    *,
    source: str,
    file_name: str = "",
) -> None:
    """One audit row per written import: who, from where, which file, the counts."""
    record_audit(
        org=org,
        acting_user=acting_user,
        action=Action.IMPORT_FINISHED,
        note=report.summary(),
        changes={
            "kind": [None, report.kind],
            "source": [None, source],
            "file": [None, file_name],
            **{k: [None, report.counts[k]] for k in ("created", "updated", "unchanged")},
            "rejected": [None, report.rejected_rows],
        },
    )


def _columns(spec: ImportSpec[Any], header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    mapper = getattr(spec, "map_header", None)
    if mapper is not None:
        result: tuple[dict[str, int], list[RowError]] = mapper(header)
        return result
    return check_header(header, spec)


def _run_in_memory(
    spec: ImportSpec[T], stream: IO[bytes], report: ImportReport, acting_user: User | None
) -> ImportReport:
    header, rows = open_table(stream)
    columns, errors = _columns(spec, header)
    report.errors.extend(errors)
    if report.errors:
        return report
    items: list[tuple[int, T]] = []
    for number, row in as_dicts(rows, columns, len(header)):
        report.rows += 1
        if isinstance(row, RowError):
            report.errors.append(row)
            continue
        item, row_errors = spec.validate_row(number, row)
        report.errors.extend(row_errors)
        if item is not None and not row_errors:
            items.append((number, item))
    if not report.errors:
        report.errors.extend(spec.validate_all(items))
    if report.errors:
        return report
    with transaction.atomic():
        report.counts.update(spec.apply(items, acting_user))
        if report.dry_run:
            transaction.set_rollback(True)
    report.written = not report.dry_run
    return report


def _run_streaming(
    spec: StreamingSpec[T],
    stream: IO[bytes],
    report: ImportReport,
    acting_user: User | None,
    progress: Callable[[int], None] | None,
) -> ImportReport:
    header, rows = open_table(stream)
    columns, errors = spec.map_header(header)
    report.errors.extend(errors)
    if report.errors:
        return report
    bad: set[int] = set()
    for number, row in as_dicts(rows, columns, len(header)):  # pass 1: validate
        report.rows += 1
        if progress and report.rows % 1000 == 0:
            progress(report.rows)
        row_errors = [row] if isinstance(row, RowError) else []
        if not isinstance(row, RowError):
            item, row_errors = spec.validate_row(number, row)
            if item is not None and not row_errors:
                row_errors = spec.observe(number, item)
        if row_errors:
            report.errors.extend(row_errors)
            bad.add(number)
    if report.errors and not report.partial:
        return report
    header, rows = open_table(stream)  # pass 2: write the good rows, in batches
    with transaction.atomic():
        batch: list[tuple[int, T]] = []
        for number, row in as_dicts(rows, columns, len(header)):
            if number in bad or isinstance(row, RowError):
                continue
            item, _ = spec.validate_row(number, row)
            if item is not None:
                batch.append((number, item))
            if len(batch) >= BATCH:
                report.counts.update(spec.apply(batch, acting_user))
                batch = []
        report.counts.update(spec.apply(batch, acting_user))
        if report.dry_run:
            transaction.set_rollback(True)
    report.written = not report.dry_run
    return report


class OrgSpec(Generic[T]):
    """Base for specs that import into one organization."""

    def __init__(self, org: Organization) -> None:
        self.org = org
