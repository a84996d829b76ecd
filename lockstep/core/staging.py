"""The SQL side of bulk imports: stage checked rows, then write them set-based.

(SQL here is built from table and column names the code itself names — models' tables,
specs' column lists, a generated stage name — never from imported values, which are
always parameters: hence `ruff: noqa: S608` below.)

A `Stage` is a temporary table on the import's own database connection. Filling it takes
no lock anyone else waits for: SQLite keeps temporary tables in a separate, private
database (so the main database's single write lock stays free) and PostgreSQL's temporary
tables belong to the session. Both disappear with the connection, so an import killed at
any moment leaves nothing behind — no file, no table, no half-written row.

Writing is a few statements in one short transaction (`write_transaction`): update the
rows whose values changed, insert the new ones, each a join between the stage and the
target table. An organization's imports write one at a time (PostgreSQL: an advisory lock
for the organization; SQLite: the database's one write lock); a second import waits its
turn (up to `wait` seconds), then finds the rows the first one wrote unchanged."""

# ruff: noqa: S608
from __future__ import annotations

import datetime as dt
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connection, transaction

from lockstep.core.errors import Conflict

SQLITE_BATCH = 5_000  # rows per executemany
COPY_CHUNK = 50_000  # rows per COPY statement (progress is written between them)
WRITE_CHUNK = 100_000  # rows per statement when writing on SQLite (for the progress bar)
SQLITE_CACHE_KB = 96 * 1024  # SQLite page cache while an import runs (the default is 2 MB)
SQLITE_TEMP_CACHE_KB = 32 * 1024
IMPORT_LOCK = 0x1A5E  # first key of the PostgreSQL advisory lock (the second: the org id)
ANALYZE_AFTER = 10_000  # rows written; then refresh PostgreSQL's statistics


class ImportBusy(Conflict):
    """Another import into the same organization is writing and did not finish in time."""


@dataclass(frozen=True)
class Assign:
    """How one target column gets its value: `insert` for a new row, `update` for an
    existing one (None: an existing row keeps its value). Expressions name the staged row
    `s` and the existing row `t`."""

    column: str
    insert: str
    update: str | None


@dataclass(frozen=True)
class Duplicates:
    count: int  # later rows repeating an earlier row's key
    kept: list[tuple[int, str, int]]  # (row, key, first row), the first few


class Stage:
    """Checked rows waiting to be written; one column `_row` (the file's row number) plus
    the spec's columns."""

    def __init__(self, columns: Sequence[tuple[str, str]], *, key: str = "external_id") -> None:
        self.columns = list(columns)
        self.key = key
        self.name = "lockstep_stage_" + secrets.token_hex(6)
        self.vendor = connection.vendor
        self.count = 0
        self._buffer: list[tuple[Any, ...]] = []
        self._copy: Any = None
        self._copy_manager: Any = None
        self._copy_cursor: Any = None
        self._copy_rows = 0
        self._cache: Any = -2000
        self._insert_qmark = (
            f"INSERT INTO {self.name} (_row, {', '.join(c for c, _ in self.columns)}) "
            f"VALUES ({', '.join(['?'] * (len(self.columns) + 1))})"
        )

    # --- lifetime -----------------------------------------------------------------------

    def __enter__(self) -> Stage:
        columns = ", ".join(f"{name} {kind}" for name, kind in self.columns)
        if self.vendor == "sqlite":
            # the write joins a million staged rows with a table and its indexes: give
            # SQLite's page cache room for them (memory, not the 2 MB default; restored)
            self._cache = self.fetch("PRAGMA main.cache_size")[0][0]
            self.execute(f"PRAGMA main.cache_size = -{SQLITE_CACHE_KB}")
            self.execute(f"PRAGMA temp.cache_size = -{SQLITE_TEMP_CACHE_KB}")
        self.execute(f"CREATE TEMPORARY TABLE {self.name} (_row integer, {columns})")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._close_copy(failed=exc[0] is not None)
        finally:
            self._buffer = []
            try:
                self.execute(f"DROP TABLE IF EXISTS {self.name}")
                if self.vendor == "sqlite":
                    self.execute(f"PRAGMA main.cache_size = {int(self._cache)}")
                    self.execute("PRAGMA temp.cache_size = -2000")
            except Exception:  # noqa: BLE001, S110 — the connection is failing: the table goes with it
                pass

    # --- filling --------------------------------------------------------------------------

    def add(self, row: int, values: Sequence[Any]) -> None:
        self.count += 1
        if self.vendor == "postgresql":
            if self._copy is None:
                self._open_copy()
            self._copy.write_row((row, *values))
            self._copy_rows += 1
            if self._copy_rows >= COPY_CHUNK:
                self._close_copy()
            return
        self._buffer.append((row, *values))
        if len(self._buffer) >= SQLITE_BATCH:
            self._write_buffer()

    def flush(self) -> None:
        """Everything added so far is in the table (and no statement is open)."""
        if self.vendor == "postgresql":
            self._close_copy()
        else:
            self._write_buffer()

    def _open_copy(self) -> None:
        self._copy_cursor = connection.cursor()
        names = ", ".join(["_row", *(c for c, _ in self.columns)])
        manager = self._copy_cursor.cursor.copy(f"COPY {self.name} ({names}) FROM STDIN")
        self._copy = manager.__enter__()
        self._copy_manager = manager
        self._copy_rows = 0

    def _close_copy(self, failed: bool = False) -> None:
        if self._copy is None:
            return
        manager, self._copy = self._copy_manager, None
        try:
            if failed:
                manager.__exit__(RuntimeError, RuntimeError("import stopped"), None)
            else:
                manager.__exit__(None, None, None)
        finally:
            self._copy_cursor.close()

    def _write_buffer(self) -> None:
        """SQLite: one short transaction of the connection's own (a deferred BEGIN that
        only writes the temporary database: the main database's write lock stays free).
        The driver's own `executemany`: Django's wrapper re-iterates the rows in Python
        (`itertools.tee`), which doubled the cost of staging."""
        if not self._buffer:
            return
        rows, self._buffer = self._buffer, []
        own = not connection.in_atomic_block
        connection.ensure_connection()
        raw = connection.connection
        with connection.wrap_database_errors:
            if own:
                raw.execute("BEGIN")
            try:
                raw.executemany(self._insert_qmark, rows)
            except BaseException:
                if own:
                    raw.execute("ROLLBACK")
                raise
            if own:
                raw.execute("COMMIT")

    def clear(self) -> None:
        self.flush()
        self.execute(f"DELETE FROM {self.name}")
        self.count = 0

    def finish(self) -> None:
        """Index the key (duplicates, joins) and, on PostgreSQL, gather statistics."""
        self.flush()
        self.execute(f"CREATE INDEX {self.name}_key ON {self.name} ({self.key})")
        if self.vendor == "postgresql":
            self.execute(f"ANALYZE {self.name}")

    def __len__(self) -> int:
        return self.count

    # --- SQL helpers ------------------------------------------------------------------------

    def sql(self, text: str) -> str:
        return text.replace("{stage}", self.name)

    def execute(self, text: str, params: Sequence[Any] = ()) -> int:
        with connection.cursor() as cursor:
            cursor.execute(self.sql(text), params or None)
            return int(cursor.rowcount or 0)

    def fetch(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql(text), params or None)
            return list(cursor.fetchall())

    def rows(self, text: str, params: Sequence[Any] = (), size: int = 5_000) -> Iterator[Any]:
        """Stream a query's rows (fix-ups that read the stage back)."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql(text), params or None)
            while batch := cursor.fetchmany(size):
                yield from batch

    def update_rows(self, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Set `columns` of staged rows by `_row` (each tuple: the values, then the row)."""
        if not rows:
            return
        if self.vendor == "postgresql":
            fix = self.name + "_fix"
            kinds = dict(self.columns)
            spec = ", ".join(f"{c} {kinds[c]}" for c in columns)
            self.execute(f"CREATE TEMPORARY TABLE {fix} ({spec}, _row integer)")
            try:
                with connection.cursor() as cursor:
                    names = ", ".join([*columns, "_row"])
                    with cursor.cursor.copy(f"COPY {fix} ({names}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                sets = ", ".join(f"{c} = f.{c}" for c in columns)
                self.execute(
                    f"UPDATE {{stage}} SET {sets} FROM {fix} f WHERE {{stage}}._row = f._row"
                )
            finally:
                self.execute(f"DROP TABLE IF EXISTS {fix}")
            return
        sets = ", ".join(f"{c} = ?" for c in columns)
        own = not connection.in_atomic_block
        connection.ensure_connection()
        raw = connection.connection
        with connection.wrap_database_errors:
            if own:
                raw.execute("BEGIN")
            try:
                raw.execute(f"CREATE INDEX IF NOT EXISTS {self.name}_row ON {self.name} (_row)")
                raw.executemany(f"UPDATE {self.name} SET {sets} WHERE _row = ?", rows)
            except BaseException:
                if own:
                    raw.execute("ROLLBACK")
                raise
            if own:
                raw.execute("COMMIT")

    def differs(self, left: str, right: str) -> str:
        """Null-safe "is different" in this database's dialect."""
        if self.vendor == "postgresql":
            return f"{left} IS DISTINCT FROM {right}"
        return f"{left} IS NOT {right}"

    def json_object(self, *pairs: str) -> str:
        function = "jsonb_build_object" if self.vendor == "postgresql" else "json_object"
        return f"{function}({', '.join(pairs)})"

    def db_datetime(self, value: dt.datetime) -> Any:
        """A datetime as this database stores it (SQLite: Django's naive UTC text)."""
        if self.vendor == "postgresql":
            return value
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")

    def db_date(self, value: dt.date) -> Any:
        return value if self.vendor == "postgresql" else value.isoformat()

    # --- checks across rows -----------------------------------------------------------------

    def duplicates(self, keep: int = 2_000) -> Duplicates:
        """Rows whose key an earlier row already has."""
        later = (
            "FROM {stage} s JOIN (SELECT " + self.key + " AS k, min(_row) AS first "
            "FROM {stage} GROUP BY " + self.key + " HAVING count(*) > 1) d "
            "ON s." + self.key + " = d.k AND s._row > d.first"
        )
        total, distinct = self.fetch(f"SELECT count(*), count(DISTINCT {self.key}) FROM {{stage}}")[
            0
        ]
        if total == distinct:  # the usual case: one pass over the key's index
            return Duplicates(0, [])
        count = self.fetch("SELECT count(*) " + later)[0][0]
        kept = self.fetch(
            f"SELECT s._row, s.{self.key}, d.first {later} ORDER BY s._row LIMIT {keep}"
        )
        return Duplicates(int(count), [(int(r), str(k), int(f)) for r, k, f in kept])

    def drop_duplicates(self) -> None:
        dropped = self.execute(
            "DELETE FROM {stage} WHERE _row IN (SELECT s._row FROM {stage} s JOIN "
            f"(SELECT {self.key} AS k, min(_row) AS first FROM {{stage}} GROUP BY {self.key} "
            f"HAVING count(*) > 1) d ON s.{self.key} = d.k AND s._row > d.first)"
        )
        self.count -= dropped

    # --- writing --------------------------------------------------------------------------

    def _matches(self) -> str:
        return f"t.org_id = %s AND t.{self.key} = s.{self.key}"

    def joined(self, table: str) -> str:
        """`FROM` the stage and `table` (aliases s and t); the caller's WHERE matches them
        (`t.org_id = %s AND t.external_id = s.external_id`). SQLite reads the stage first
        and looks each row up in the table's unique index (CROSS JOIN fixes that order);
        PostgreSQL plans the join itself."""
        return f"FROM {{stage}} AS s CROSS JOIN {table} AS t"

    def _changed(self, assigns: Sequence[Assign]) -> str:
        parts = [self.differs(f"t.{a.column}", a.update) for a in assigns if a.update is not None]
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"

    def classify(self, table: str, org_id: int, assigns: Sequence[Assign]) -> dict[str, int]:
        """created / updated / unchanged, read-only (a dry run)."""
        match = self._matches()
        created = self.fetch(
            f"SELECT count(*) FROM {{stage}} s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} t WHERE {match})",
            [org_id],
        )[0][0]
        updated = self.fetch(
            f"SELECT count(*) {self.joined(table)} WHERE {match} AND {self._changed(assigns)}",
            [org_id],
        )[0][0]
        return {
            "created": int(created),
            "updated": int(updated),
            "unchanged": self.count - int(created) - int(updated),
        }

    def upsert(
        self,
        table: str,
        org_id: int,
        assigns: Sequence[Assign],
        *,
        stamp: tuple[str, Any],
        progress: Callable[[float], None],
    ) -> dict[str, int]:
        """Update the existing rows whose values changed, then insert the new ones.
        `stamp` (column, value) is set on every row written (e.g. imported_at)."""
        match = self._matches()
        updates = [a for a in assigns if a.update is not None]
        changed = self._changed(assigns)
        if self.vendor == "postgresql":
            sets = ", ".join([f"{a.column} = {a.update}" for a in updates] + [f"{stamp[0]} = %s"])
            update = (
                f"UPDATE {table} AS t SET {sets} FROM {{stage}} AS s WHERE {match} AND {changed}"
            )
        else:
            # the rows whose values changed (the stage read in order, each looked up in the
            # table's unique index), then their new values, looked up in the stage's index
            columns = ", ".join([a.column for a in updates] + [stamp[0]])
            values = ", ".join([a.update for a in updates if a.update] + ["%s"])
            update = (
                f"UPDATE {table} AS t SET ({columns}) = (SELECT {values} FROM {{stage}} AS s "
                f"WHERE s.{self.key} = t.{self.key}) WHERE t.rowid IN (SELECT t.rowid "
                f"{self.joined(table)} WHERE {match} AND {changed}"
            )
        names = ", ".join(["org_id", stamp[0], *(a.column for a in assigns)])
        values = ", ".join(["%s", "%s", *(a.insert for a in assigns)])
        if self.vendor == "postgresql":
            insert = (
                f"INSERT INTO {table} ({names}) SELECT {values} FROM {{stage}} AS s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {match})"
            )
            insert_params = [org_id, stamp[1], org_id]
        else:  # the existing rows were updated above; the unique index skips them
            insert = f"INSERT INTO {table} ({names}) SELECT {values} FROM {{stage}} AS s WHERE true"
            insert_params = [org_id, stamp[1]]
        # an organization's first import of this kind: nothing to update, nothing to skip
        fresh = not self.fetch(f"SELECT 1 FROM {table} WHERE org_id = %s LIMIT 1", [org_id])
        updated = created = 0
        ranges = self._ranges()
        steps = len(ranges) * (1 if fresh else 2)
        done = 0
        if not fresh:
            for low, high in ranges:
                where = "" if low is None else f" AND s.rowid BETWEEN {low} AND {high}"
                close = ")" if self.vendor == "sqlite" else ""
                updated += self.execute(update + where + close, [stamp[1], org_id])
                done += 1
                progress(done / steps)
        if fresh:
            insert = f"INSERT INTO {table} ({names}) SELECT {values} FROM {{stage}} AS s WHERE true"
            insert_params, conflict = [org_id, stamp[1]], ""
        elif self.vendor == "sqlite":  # the existing rows were updated above: skip them
            conflict = f" ON CONFLICT (org_id, {self.key}) DO NOTHING"
        else:
            conflict = ""
        for low, high in ranges:
            where = "" if low is None else f" AND s.rowid BETWEEN {low} AND {high}"
            created += self.execute(insert + where + conflict, insert_params)
            done += 1
            progress(done / steps)
        return {"created": created, "updated": updated, "unchanged": self.count - created - updated}

    def _ranges(self) -> list[tuple[int | None, int | None]]:
        """SQLite: row-id ranges, so the command line can show the write's progress.
        PostgreSQL: one statement (its planner joins the whole stage at once)."""
        if self.vendor == "postgresql":
            return [(None, None)]
        top = self.fetch("SELECT coalesce(max(rowid), 0) FROM {stage}")[0][0] or 0
        return [(low, low + WRITE_CHUNK - 1) for low in range(1, int(top) + 1, WRITE_CHUNK)] or [
            (0, 0)
        ]

    def after_commit(self, table: str, written: int) -> None:
        """Fresh statistics after a large write (PostgreSQL plans from them)."""
        if self.vendor == "postgresql" and written >= ANALYZE_AFTER:
            self.execute(f"ANALYZE {table}")


@contextmanager
def write_transaction(org_id: int, *, wait: float = 600.0, label: str = "") -> Iterator[None]:
    """The import's one transaction, once no other import of the organization is writing.

    PostgreSQL: an advisory lock for the organization, held to the end of the transaction
    (and released if the process dies). SQLite: the database's write lock, taken at BEGIN;
    a writer holding it longer than the busy timeout makes us try again until `wait`."""
    busy = ImportBusy(
        f"Another import into {label or 'this organization'} is still writing. "
        "Try again in a minute: nothing was written."
    )
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(wait * 1000)}ms'")
            try:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, org_id])
            except OperationalError as exc:
                raise busy from exc
            cursor.execute("SET LOCAL lock_timeout = DEFAULT")
            # check foreign keys as each statement ends, not at commit: a reference that
            # vanished meanwhile fails the statement, and a million rows do not queue
            # millions of deferred checks in the server's memory
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            yield
        return
    deadline = time.monotonic() + wait
    while True:
        atomic = transaction.atomic()
        try:
            atomic.__enter__()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise busy from exc
            time.sleep(0.05)
            continue
        break
    try:
        yield
    except BaseException:
        atomic.__exit__(*sys.exc_info())  # rolls back; it never swallows the error
        raise
    else:
        atomic.__exit__(None, None, None)
