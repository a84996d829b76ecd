"""The one import engine: read a table, check every row once, then write all or nothing.

Every import — the `lockstep import` command, the browser's import job, `POST /api/v1/leads`,
a meeting tool's attendance file — goes through `run_import(spec, source, …)`:

1. **Read.** CSV in UTF-8 (with or without BOM), UTF-16 or Latin-1/Windows-1252, separated by
   commas, semicolons or tabs, or XLSX (the first sheet), or records an API received. The
   header is cut at its last named column (a sheet that claims 16,384 columns has the width
   of its header), and a report footer — a blank line followed only by one-cell lines, as
   Salesforce appends — is skipped and said so.
2. **Map.** Which column feeds which field (`plan_columns`: a preset's labels, ranked so an
   e-mail column beats a name column for the same field; an explicit mapping always wins).
   Every summary prints the mapping and the columns left out.
3. **Check, once.** Each row is validated by the spec. Errors refuse the row; warnings
   (contact data that looks odd but is the CRM's to keep) are counted and reported. Only
   the first `MAX_KEPT` of each are kept in full, the rest counted, so a file of a million
   bad rows does not fill memory.
4. **Write.** Small specs (teams, people, attendance) keep their rows in memory and write
   through their services. Bulk specs (leads, opportunities: `BulkSpec`) stage the checked
   rows in a temporary table (`core.staging.Stage`) without taking the database's write
   lock, then write them with a few set-based statements in one short transaction — all or
   nothing, and nothing half-written if the process is killed.

Nothing is written if any row is bad, unless the caller asked for a partial import."""

from __future__ import annotations

import csv
import io
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from django.db import IntegrityError, transaction
from django.utils.module_loading import autodiscover_modules

from lockstep.core.events import Action
from lockstep.core.services import record_audit
from lockstep.core.staging import Stage, write_transaction
from lockstep.core.tables import CountingReader, seekable, size_of
from lockstep.core.tables import FileError as FileError  # re-exported: reading is in tables
from lockstep.core.tables import Table as Table
from lockstep.core.tables import open_table as open_table

if TYPE_CHECKING:
    from lockstep.accounts.models import User
    from lockstep.orgs.models import Organization

T = TypeVar("T")
MAX_CELL = 10_000  # in-memory specs: a longer cell is an error
MAX_KEPT = 2_000  # errors (and warnings) kept in full per import; the rest are counted
PROGRESS_EVERY = 10_000  # rows between progress reports
CHANGED_MEANWHILE = (
    "a member, program or rejection reason the file names was removed while it was "
    "imported: nothing was written; import the file again"
)
csv.field_size_limit(1024 * 1024)  # one cell larger than 1 MB is an error, not a crash


@dataclass(frozen=True)
class RowError:
    """A problem with one row (or with the file: row 1 is the header line)."""

    row: int  # 1 = the header line, 2 = the first data row (an API batch: the item's index)
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column “{self.column}”" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ColumnUse:
    """What one column of the file feeds: a field, or nothing (and why)."""

    label: str
    field: str  # "" when the column is ignored
    note: str = ""

    def __str__(self) -> str:
        label = f"“{self.label}”" if self.label else "(a column with no name)"
        if self.field:
            return f"{label} → {self.field}" + (f" ({self.note})" if self.note else "")
        return f"{label} ignored" + (f" ({self.note})" if self.note else "")


@dataclass
class ImportReport:
    kind: str
    dry_run: bool = False
    partial: bool = False
    rows: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)  # the first MAX_KEPT
    error_count: int = 0
    rejected_rows: int = 0
    warnings: list[RowError] = field(default_factory=list)  # the first MAX_KEPT
    warning_count: int = 0
    columns: list[ColumnUse] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # date orders, a skipped footer…
    written: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    @property
    def ok(self) -> bool:
        return not self.error_count

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_KEPT:
            self.errors.append(error)

    def reject(self, errors: Iterable[RowError]) -> None:
        """One row refused, for these reasons."""
        self.rejected_rows += 1
        for error in errors:
            self.add_error(error)

    def fail(self, message: str, row: int = 1, column: str = "") -> None:
        """The file as a whole is refused."""
        self.add_error(RowError(row, column, message))

    def warn(self, warning: RowError) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_KEPT:
            self.warnings.append(warning)

    def summary(self) -> str:
        parts = [f"{self.counts[k]} {k}" for k in ("created", "updated", "unchanged")]
        parts.append(f"{self.rejected_rows} rejected")
        if self.warning_count:
            parts.append(f"{self.warning_count} warning{'s' if self.warning_count != 1 else ''}")
        head = f"{self.kind}: {self.rows} rows — " + ", ".join(parts)
        if self.dry_run:
            return head + ". Dry run: nothing was written."
        if self.error_count and not self.written:
            return head + ". Nothing was written."
        if self.error_count:
            return head + ". The good rows were written (partial import)."
        return head + "."

    def details(self) -> list[str]:
        """The mapping, then what else the import decided (date orders, a skipped footer)."""
        lines = []
        used = [str(c) for c in self.columns if c.field]
        ignored = [c for c in self.columns if not c.field]
        if used:
            lines.append("Columns: " + "; ".join(used) + ".")
        if ignored:
            lines.append("Ignored: " + "; ".join(_ignored(c) for c in ignored) + ".")
        return lines + self.notes

    def as_dict(self) -> dict[str, Any]:
        """What an import job keeps and the API answers (JSON)."""
        return {
            "summary": self.summary(),
            "details": self.details(),
            "counts": {k: self.counts[k] for k in ("created", "updated", "unchanged")},
            "rows": self.rows,
            "rejected": self.rejected_rows,
            "written": self.written,
            "columns": [
                {"column": c.label, "field": c.field, "note": c.note} for c in self.columns
            ],
            "notes": list(self.notes),
            "errors": [[e.row, e.column, e.message] for e in self.errors],
            "error_count": self.error_count,
            "more_errors": self.error_count - len(self.errors),
            "warnings": [[w.row, w.column, w.message] for w in self.warnings],
            "warning_count": self.warning_count,
            "more_warnings": self.warning_count - len(self.warnings),
        }


def _ignored(column: ColumnUse) -> str:
    label = f"“{column.label}”" if column.label else "(no name)"
    return label + (f" ({column.note})" if column.note else "")


# --- the import kinds -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportKind:
    """One kind of file Lockstep imports: the command line, the browser and the API read
    this registry (`import_kinds()`), never a list of their own."""

    name: str  # "leads"
    label: str  # "Leads"
    fields: tuple[str, ...]  # the fields, required ones first
    required: tuple[str, ...]
    make_spec: Callable[..., ImportSpec[Any] | BulkSpec]  # (org, *, preset, mapping)
    presets: tuple[str, ...] = ()  # named column layouts ("salesforce"…); () = fixed columns
    in_browser: bool = False  # offered on the Import page
    field_labels: dict[str, str] = field(default_factory=dict)  # "external_id" → "CRM ID"

    def field_label(self, name: str) -> str:
        """What people read for a field ("Created in the CRM"), never its internal name."""
        return self.field_labels.get(name) or name.replace("_", " ").capitalize()


_KINDS: dict[str, ImportKind] = {}
_DISCOVERED: list[bool] = []


def register_kind(kind: ImportKind) -> ImportKind:
    _KINDS[kind.name] = kind
    return kind


def import_kinds() -> dict[str, ImportKind]:
    """Every kind, registered by the apps' own `imports` modules (found on first use: the
    ground floor names no domain app)."""
    if not _DISCOVERED:
        autodiscover_modules("imports")
        _DISCOVERED.append(True)
    return dict(_KINDS)


def import_kind(name: str) -> ImportKind | None:
    return import_kinds().get(name)


# --- specs ------------------------------------------------------------------------------------


class ImportSpec(Protocol[T]):
    """A small import: every checked row is kept in memory, so checks can span the file."""

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


@dataclass
class ColumnPlan:
    """Which column (index) feeds each field, what every column does, and what is wrong."""

    columns: dict[str, int]
    uses: list[ColumnUse]
    errors: list[RowError] = field(default_factory=list)


class BulkSpec(ABC):
    """A large import (leads, opportunities): rows are parsed into tuples, staged in a
    temporary table and written by set-based SQL. Memory stays flat whatever the file."""

    kind: str = ""
    table: str = ""  # the table written (for statistics after a large import)
    org: Organization

    @abstractmethod
    def plan(self, header: list[str]) -> ColumnPlan:
        """Map the header (presets, explicit mappings)."""

    @abstractmethod
    def stage_columns(self) -> list[tuple[str, str]]:
        """The staged values of one row, (name, SQL type), in the order `parse` returns."""

    @abstractmethod
    def start(self, plan: ColumnPlan, attempt: int) -> RowParser:
        """A parser for one pass over the rows (a second pass only when a decision made
        from the whole file — the order of dates — changed how earlier rows read)."""

    @abstractmethod
    def prepare(self, stage: Stage, report: ImportReport) -> None:
        """After the pass, before writing: fill in what depends on stored rows."""

    @abstractmethod
    def classify(self, stage: Stage) -> Counter[str]:
        """created / updated / unchanged, without writing (a dry run)."""

    @abstractmethod
    def write(
        self, stage: Stage, acting_user: User | None, progress: Callable[[float], None]
    ) -> Counter[str]:
        """Write the staged rows (inside the import's one transaction)."""


class RowParser(ABC):
    """Reads the rows of one pass; decides, at the end, what only the whole file shows.
    Setting `restart` stops the pass at once: `finish` then asks for a second one."""

    restart: bool = False

    @abstractmethod
    def parse(
        self, number: int, cells: list[str], errors: list[RowError], warnings: list[RowError]
    ) -> Sequence[Any] | None:
        """The staged values of one row, or None; append what is wrong."""

    def finish(self, report: ImportReport) -> bool:
        """After the pass: add file-level errors and notes; True to read the file again."""
        return False


def check_header(header: list[str], spec: ImportSpec[Any]) -> tuple[dict[str, int], list[RowError]]:
    """Fixed columns (teams, people, attendance): every required one, nothing unknown."""
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


# --- mapping columns --------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """A column label a preset recognises, the field it feeds, and its rank: when two
    columns of one file feed the same field, the higher rank wins (an e-mail over a name)."""

    label: str
    field: str
    rank: int = 1
    why: str = ""  # said when this label wins over another ("an e-mail is unambiguous")


def label_key(label: str) -> str:
    """Labels match ignoring case, spaces and punctuation ("Company / Account")."""
    return "".join(ch for ch in label.lower() if ch.isalnum())


def plan_columns(
    header: list[str],
    labels: Sequence[Label],
    explicit: dict[str, str],
    fields: Sequence[str],
    required: Sequence[str],
    *,
    map_hint: str = '--map "Column=field"',
) -> ColumnPlan:
    """Field → column from the preset's labels, with the caller's explicit choices first.

    An explicit "Column=field" always wins and takes the field away from every other
    column; "Column=" ignores the column. Two preset columns for one field: the higher
    rank wins (the other is listed as ignored, with the reason); equal ranks are refused."""
    by_key: dict[str, Label] = {}
    for item in labels:
        by_key.setdefault(label_key(item.label), item)
    for name in fields:  # a field's own name always works
        by_key.setdefault(label_key(name), Label(name, name, rank=3))
    chosen = {label_key(k): v for k, v in explicit.items()}
    claimed = {v for v in chosen.values() if v}
    candidates: dict[str, list[tuple[int, int, str]]] = {}  # field → (rank, index, why)
    uses: dict[int, ColumnUse] = {}
    errors: list[RowError] = []
    seen_labels: Counter[str] = Counter(label_key(h) for h in header)
    for index, label in enumerate(header):
        key = label_key(label)
        if key in chosen:
            target = chosen[key]
            if not target:
                uses[index] = ColumnUse(label, "", "mapped to nothing")
                continue
            candidates.setdefault(target, []).append((100, index, "mapped explicitly"))
            continue
        found = by_key.get(key)
        if found is None or not key:
            uses[index] = ColumnUse(label, "", "")
            continue
        if found.field in claimed:
            uses[index] = ColumnUse(label, "", f"{found.field} is mapped explicitly")
            continue
        candidates.setdefault(found.field, []).append((found.rank, index, found.why))
    columns: dict[str, int] = {}
    for name, options in candidates.items():
        options.sort(key=lambda o: (-o[0], o[1]))
        best = options[0]
        tied = [o for o in options if o[0] == best[0]]
        if len(tied) > 1:
            labels_text = " and ".join(f"“{header[o[1]]}”" for o in tied)
            errors.append(
                RowError(
                    1,
                    header[tied[1][1]],
                    f"{labels_text} both feed “{name}”: map one explicitly, e.g. "
                    f"{map_hint.replace('Column', header[tied[0][1]]).replace('field', name)}",
                )
            )
            for o in options:
                uses[o[1]] = ColumnUse(header[o[1]], "", f"competes for {name}")
            continue
        columns[name] = best[1]
        uses[best[1]] = ColumnUse(header[best[1]], name, best[2] if len(options) > 1 else "")
        for other in options[1:]:
            uses[other[1]] = ColumnUse(
                header[other[1]], "", f"{name} comes from “{header[best[1]]}”"
            )
    for index, label in enumerate(header):
        if seen_labels[label_key(label)] > 1 and index in uses and uses[index].field:
            errors.append(RowError(1, label, "this column appears more than once: rename one"))
    for name in required:
        if name not in columns and not any(name in e.message for e in errors):
            hint = map_hint.replace("field", name)
            errors.append(
                RowError(1, name, f"no column holds “{name}”: map the one that does ({hint})")
            )
    ordered = [uses[i] for i in range(len(header))]
    return ColumnPlan(columns, ordered, errors)


# --- running ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    phase: str  # "checking" | "writing"
    rows: int  # rows read so far
    share: float  # 0..1 of this phase


ProgressCallback = Callable[[Progress], None]


def run_import(
    spec: ImportSpec[Any] | BulkSpec,
    stream: IO[bytes] | Table,
    *,
    acting_user: User | None,
    dry_run: bool = False,
    partial: bool = False,
    progress: ProgressCallback | None = None,
    source: str = "cli",
    file_name: str = "",
    wait: float = 600.0,
) -> ImportReport:
    """Import a file (or an API's records) with a spec. A written import leaves one
    summary row in the audit log (who, from where, which file, the counts).

    `wait`: seconds to wait for another import of the organization to finish writing;
    past that `ImportBusy` (a `Conflict`) is raised and nothing is written."""
    report = ImportReport(kind=spec.kind, dry_run=dry_run, partial=partial)
    table: Table | None = None
    counter: CountingReader | None = None
    try:
        if isinstance(stream, Table):
            table, size = stream, 0
        else:
            raw = seekable(stream)
            size = size_of(raw)
            counter = CountingReader(raw)
            table = open_table(io.BufferedReader(counter))
        org: Organization | None = getattr(spec, "org", None)

        def audit() -> None:
            # inside the import's own transaction: the rows and their audit row are
            # committed together or not at all (a killed import leaves neither)
            if org is not None:
                record_import(org, acting_user, report, source=source, file_name=file_name)

        if isinstance(spec, BulkSpec):
            meter = _Meter(progress, counter, size)
            _run_bulk(spec, table, report, acting_user, meter, wait, audit)
        else:
            _run_in_memory(spec, table, report, acting_user, audit)
    except FileError as exc:
        report.fail(str(exc))
    except (csv.Error, UnicodeDecodeError) as exc:
        report.fail(f"the file cannot be read here: {exc}", row=report.rows + 2)
    finally:
        if table is not None:
            table.close()
    return report


class _Meter:
    """Progress for the command line's bar and the browser's job page."""

    def __init__(
        self, callback: ProgressCallback | None, counter: CountingReader | None, size: int
    ) -> None:
        self.callback, self.counter, self.size = callback, counter, size

    def checking(self, rows: int) -> None:
        if self.callback is not None:
            share = self.counter.position / self.size if self.counter and self.size else 0.0
            self.callback(Progress("checking", rows, min(share, 1.0)))

    def writing(self, rows: int, share: float) -> None:
        if self.callback is not None:
            self.callback(Progress("writing", rows, min(share, 1.0)))


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
            "warnings": [None, report.warning_count],
            "columns": [None, [str(c) for c in report.columns]],
            "notes": [None, report.notes],
        },
    )


def _rows_of(table: Table, width: int) -> Iterator[tuple[int, list[str] | RowError]]:
    """Non-blank rows padded to the header's width; a row with cells beyond it is an error."""
    skip_blank = table.skip_blank
    for number, cells in table.rows:
        if len(cells) == width and cells[0] and not cells[0].isspace():  # most rows
            yield number, cells
            continue
        if skip_blank and not "".join(cells).strip():
            continue
        if len(cells) > width:
            if "".join(cells[width:]).strip():
                yield number, RowError(number, "", "more cells than header columns")
                continue
            cells = cells[:width]
        elif len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        yield number, cells


def _run_in_memory(
    spec: ImportSpec[Any],
    table: Table,
    report: ImportReport,
    acting_user: User | None,
    audit: Callable[[], None],
) -> None:
    columns, errors = check_header(table.header, spec)
    for error in errors:
        report.fail(error.message, column=error.column)
    if report.errors:
        return
    items: list[tuple[int, Any]] = []
    for number, cells in _rows_of(table, len(table.header)):
        report.rows += 1
        if isinstance(cells, RowError):
            report.reject([cells])
            continue
        too_long = next((n for n, i in columns.items() if len(cells[i]) > MAX_CELL), None)
        if too_long:
            report.reject([RowError(number, too_long, "cell is too long")])
            continue
        row = {name: cells[i].strip() for name, i in columns.items()}
        item, row_errors = spec.validate_row(number, row)
        if row_errors:
            report.reject(row_errors)
        elif item is not None:
            items.append((number, item))
    report.notes.extend(table.notes)
    if not report.error_count:
        for error in spec.validate_all(items):
            report.add_error(error)
        report.rejected_rows += len({e.row for e in report.errors})
    if report.error_count:
        return
    with transaction.atomic():
        report.counts.update(spec.apply(items, acting_user))
        if report.dry_run:
            transaction.set_rollback(True)
        else:
            report.written = True
            audit()


def _run_bulk(
    spec: BulkSpec,
    table: Table,
    report: ImportReport,
    acting_user: User | None,
    meter: _Meter,
    wait: float,
    audit: Callable[[], None],
) -> None:
    plan = spec.plan(table.header)
    report.columns = plan.uses
    for error in plan.errors:
        report.fail(error.message, column=error.column)
    if report.error_count:
        return
    clock = _Clock(report.timings)
    reopened: Table | None = None
    try:
        with Stage(spec.stage_columns()) as stage:
            attempt = 1
            while True:
                with clock("checking"):
                    again = _check_pass(spec.start(plan, attempt), table, stage, report, meter)
                if not again:
                    break
                # a decision made from the whole file (the order of its dates) changed
                # how rows read before it: read them again, the same way for every row
                reopened = table = table.reopen()
                stage.clear()
                report.rows = report.rejected_rows = 0
                report.error_count = report.warning_count = 0
                report.errors, report.warnings = [], []
                attempt += 1
            report.notes.extend(table.notes)
            with clock("duplicates"):
                stage.finish()
                _refuse_duplicates(stage, report)
            if report.error_count and not report.partial:
                return
            with clock("preparing"):
                spec.prepare(stage, report)
            if report.dry_run:
                report.counts.update(spec.classify(stage))
                return
            total = len(stage)
            meter.writing(total, 0.0)
            try:
                with (
                    clock("waiting"),
                    write_transaction(spec.org.pk, wait=wait, label=spec.org.name),
                ):
                    clock.lap("waiting")
                    with clock("writing"):
                        counts = spec.write(
                            stage, acting_user, lambda share: meter.writing(total, share)
                        )
                        report.counts.update(counts)
                        report.written = True
                        audit()
            except IntegrityError:
                report.written = False
                report.counts.clear()
                # a rep, program or reason the file names was removed while it was read
                report.fail(CHANGED_MEANWHILE)
                return
            with clock("statistics"):
                stage.after_commit(spec.table, report.counts["created"] + report.counts["updated"])
            meter.writing(total, 1.0)
    finally:
        if reopened is not None:
            reopened.close()


class _Clock:
    """Seconds spent in each phase of an import (`ImportReport.timings`, for the bench)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.started: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        self.started[phase] = time.perf_counter()
        try:
            yield
        finally:
            self.lap(phase)

    def lap(self, phase: str) -> None:
        """Close a phase now (the wait for the write lock ends when the block opens)."""
        if phase in self.started:
            elapsed = time.perf_counter() - self.started.pop(phase)
            self.timings[phase] = self.timings.get(phase, 0.0) + elapsed


def _check_pass(
    parser: RowParser, table: Table, stage: Stage, report: ImportReport, meter: _Meter
) -> bool:
    errors: list[RowError] = []
    warnings: list[RowError] = []
    parse, add = parser.parse, stage.add
    for number, cells in _rows_of(table, len(table.header)):
        report.rows += 1
        if report.rows % PROGRESS_EVERY == 0 and meter.callback is not None:
            stage.flush()  # progress is written outside the staging statement
            meter.checking(report.rows)
        if isinstance(cells, RowError):
            report.reject([cells])
            continue
        values = parse(number, cells, errors, warnings)
        if warnings:
            for warning in warnings:
                report.warn(warning)
            warnings.clear()
        if errors:
            report.reject(errors)
            errors.clear()
        elif values is not None:
            add(number, values)  # staged even after a bad row: duplicates are still reported
        if parser.restart:
            break
    stage.flush()
    meter.checking(report.rows)
    return parser.finish(report)


def _refuse_duplicates(stage: Stage, report: ImportReport) -> None:
    """The same external id twice in one file: the later rows are refused."""
    duplicates = stage.duplicates()
    for row, key, first in duplicates.kept:
        report.reject([RowError(row, "external_id", f"“{key}” is already on row {first}")])
    extra = duplicates.count - len(duplicates.kept)
    report.rejected_rows += extra
    report.error_count += extra
    if duplicates.count:
        stage.drop_duplicates()


class OrgSpec(Generic[T]):
    """Base for in-memory specs that import into one organization."""

    def __init__(self, org: Organization) -> None:
        self.org = org


# --- what the product writes ------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A cell for a CSV the product writes: text a spreadsheet would run as a formula
    (=…, +…, -…, @…) gets a leading apostrophe, so it opens as text. Values are stored as
    the CRM sent them; they are only escaped on the way out."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_START) or value.lstrip(" \n\r\t").startswith(FORMULA_START)
    ):
        return "'" + value
    return value


def write_csv(rows: Iterable[Sequence[object]]) -> str:
    """Every CSV the product writes goes through here."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([spreadsheet_safe(v) for v in row])
    return out.getvalue()
