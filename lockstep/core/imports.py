"""The one import service: read a table, validate every row, then write all or nothing.

A spec (teams, users, and later leads and opportunities) says which columns it takes,
how to validate one row, which checks span rows, and how to write the valid rows. This
module does the reading, the reporting, the dry run and the all-or-nothing write."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Generic, Protocol, TypeVar

from django.db import transaction

from lockstep.accounts.models import User
from lockstep.orgs.models import Organization

T = TypeVar("T")
MAX_CELL = 10_000


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
        if self.errors:
            return head + ". Nothing was written."
        if self.dry_run:
            return head + ". Dry run: nothing was written."
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


class FileError(Exception):
    pass


def read_rows(stream: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    raw = stream.read()
    if not raw.strip():
        raise FileError("The file is empty: it needs a header line and at least one row.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError("The file is not UTF-8 text. Save it as “CSV UTF-8” and retry.") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except csv.Error as exc:
        raise FileError(f"The header line cannot be read as CSV: {exc}.") from exc

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            padded = cells + [""] * (len(header) - len(cells))
            row = {name: value.strip() for name, value in zip(header, padded, strict=False)}
            if len(cells) > len(header):
                row["\0extra"] = "1"
            yield number, row

    return header, rows()


def check_header(header: list[str], spec: ImportSpec[Any]) -> list[RowError]:
    errors = []
    known = set(spec.required_columns) | set(spec.optional_columns)
    expected = ", ".join(spec.required_columns + spec.optional_columns)
    for name in spec.required_columns:
        if name not in header:
            errors.append(RowError(1, name, f"missing column (expected columns: {expected})"))
    for name in header:
        if name not in known:
            label = name or "(empty)"
            errors.append(RowError(1, label, f"unknown column (expected columns: {expected})"))
    for name, count in Counter(header).items():
        if count > 1 and name in known:
            errors.append(RowError(1, name, "this column appears more than once"))
    return errors


def run_import(
    spec: ImportSpec[T],
    stream: IO[bytes],
    *,
    acting_user: User | None,
    dry_run: bool = False,
) -> ImportReport:
    report = ImportReport(kind=spec.kind, dry_run=dry_run)
    try:
        header, rows = read_rows(stream)
        report.errors.extend(check_header(header, spec))
        if report.errors:
            return report
        items: list[tuple[int, T]] = []
        for number, row in rows:
            report.rows += 1
            if row.pop("\0extra", None):
                report.errors.append(RowError(number, "", "more cells than header columns"))
                continue
            if too_long := [k for k, v in row.items() if len(v) > MAX_CELL]:
                report.errors.append(RowError(number, too_long[0], "cell is too long"))
                continue
            item, errors = spec.validate_row(number, row)
            report.errors.extend(errors)
            if item is not None and not errors:
                items.append((number, item))
    except csv.Error as exc:
        report.errors.append(RowError(report.rows + 2, "", f"the CSV cannot be read: {exc}"))
    except FileError as exc:
        report.errors.append(RowError(1, "", str(exc)))
    if report.errors:
        return report
    report.errors.extend(spec.validate_all(items))
    if report.errors:
        return report
    with transaction.atomic():
        report.counts.update(spec.apply(items, acting_user))
        if dry_run:
            transaction.set_rollback(True)
    report.written = not dry_run
    return report


class OrgSpec(Generic[T]):
    """Base for specs that import into one organization."""

    def __init__(self, org: Organization) -> None:
        self.org = org
