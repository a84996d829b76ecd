"""Backups while the app runs, restores into an empty installation, and the per-table
digests that prove a restore complete.

A backup is one `.tar.gz`:

- `manifest.json`: format, engine, the applied migrations, and for every table its row
  count and a content digest (written first, so `restore` reads it at once);
- the database, as of one instant: on SQLite a copy made with SQLite's online backup API
  inside one read transaction (writers carry on meanwhile, WAL); on PostgreSQL a portable
  logical dump, one JSON-lines file per table, read in one `REPEATABLE READ` transaction;
- `media/`: the uploaded files, copied after the database snapshot (uploads are written
  before the rows naming them, so every file the snapshot names is there).

`restore` builds the schema as it was at backup time (the backup's migrations), loads the
rows, checks every table's row count and digest against the manifest, puts the files back,
then migrates to the current version: a backup from an older Lockstep restores into a newer
one, and a SQLite backup restores into PostgreSQL (how to move databases).

The digest of a table is independent of the engine and of row order: the sum (mod 2**256)
of the SHA-256 of each row's canonical JSON."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import IO, Any, TextIO

from django.conf import settings
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_iso_string

from lockstep.core import snapshots
from lockstep.ops.progress import Progress

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
ROWS_DIR = "rows"
MEDIA_DIR = "media"
SECRET_MEMBER = "secret.key"  # noqa: S105 — a file name in the archive
SOURCE_ALIAS = "lockstep_backup_source"
CHUNK = 2000
# Bookkeeping that `migrate` or a running worker writes: present in an "empty" install.
EMPTY_ANYWAY = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "django_session",
    "ops_workerheartbeat",
    "ops_periodicjobstate",
}

Node = tuple[str, str]


class BackupError(Exception):
    pass


# --- values ----------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A column value as JSON (the same text on SQLite and PostgreSQL)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def decode(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None or isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


def row_line(values: Iterable[Any]) -> str:
    return json.dumps(
        [encode(v) for v in values], separators=(",", ":"), sort_keys=True, ensure_ascii=False
    )


class Digest:
    """Order-independent: the same rows in any order give the same digest."""

    def __init__(self) -> None:
        self.rows = 0
        self.total = 0

    def add(self, line: str) -> None:
        self.rows += 1
        digest = hashlib.sha256(line.encode()).digest()
        self.total = (self.total + int.from_bytes(digest, "big")) % (1 << 256)

    def hexdigest(self) -> str:
        return f"{self.total:064x}"


# --- the schema at a point in migration history ----------------------------------------


def applied_nodes(alias: str) -> list[Node]:
    return sorted(MigrationRecorder(connections[alias]).applied_migrations())


def leaf_nodes(loader: MigrationLoader, applied: Iterable[Node]) -> list[Node]:
    """For each app, its last applied migration(s)."""
    done = set(applied)
    unknown = sorted(
        n for n in done if n not in loader.graph.nodes and n[0] in loader.migrated_apps
    )
    if unknown:
        raise BackupError(
            f"The backup was made by a newer Lockstep ({unknown[0][0]}.{unknown[0][1]} is "
            "unknown here): install that version or newer, then restore."
        )
    done = {n for n in done if n in loader.graph.nodes}
    return sorted(
        n
        for n in done
        if not any(c in done and c[0] == n[0] for c in loader.graph.node_map[n].children)
    )


# Tables that hold no data of their own, only what is derived from it: not backed up, and
# emptied by a restore (the figures version: core.snapshots draws a new one).
DERIVED_TABLES = {snapshots.TABLE}


def models_at(nodes: list[Node]) -> list[type[models.Model]]:
    """Every table's model as the schema was at these migrations (historical models)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = loader.project_state(nodes)
    found = [
        m
        for m in state.apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]
    # A model moved between apps keeps its table: between the two apps' migrations both
    # states may name it. One model per table, or its rows would be read (and loaded) twice.
    by_table: dict[str, type[models.Model]] = {}
    for model in sorted(found, key=lambda m: m._meta.label_lower):
        if model._meta.db_table not in DERIVED_TABLES:
            by_table.setdefault(model._meta.db_table, model)
    return sorted(by_table.values(), key=lambda m: m._meta.label_lower)


def columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def read_rows(model: type[models.Model], alias: str) -> Iterator[tuple[Any, ...]]:
    names = [f.attname for f in columns(model)]
    query = model._base_manager.using(alias).order_by().values_list(*names)
    yield from query.iterator(chunk_size=CHUNK)


def table_digests(
    models_: list[type[models.Model]], alias: str, bar: Progress | None = None
) -> dict[str, dict[str, Any]]:
    """Row count and digest of every table, read in one transaction."""
    out: dict[str, dict[str, Any]] = {}
    with read_snapshot(alias):
        for model in models_:
            digest = Digest()
            for row in read_rows(model, alias):
                digest.add(row_line(row))
                if bar is not None:
                    bar.advance()
            out[model._meta.label_lower] = {
                "table": model._meta.db_table,
                "rows": digest.rows,
                "digest": digest.hexdigest(),
            }
    return out


@contextmanager
def read_snapshot(alias: str) -> Iterator[None]:
    """Every query inside reads the database as of one instant, without blocking writers:
    PostgreSQL's REPEATABLE READ; on SQLite a deferred read transaction (WAL), since
    Django's own transactions here begin IMMEDIATE and would hold the write lock."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        with transaction.atomic(using=alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.in_atomic_block:
        raise BackupError("a snapshot cannot start inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("COMMIT")


def count_rows(models_: list[type[models.Model]], alias: str) -> int:
    return sum(m._base_manager.using(alias).count() for m in models_)


# --- a second connection to a SQLite snapshot -----------------------------------------------


def open_sqlite_source(path: Path) -> str:
    connections.settings[SOURCE_ALIAS] = connections.configure_settings(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            SOURCE_ALIAS: {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)},
        }
    )[SOURCE_ALIAS]
    return SOURCE_ALIAS


def close_sqlite_source() -> None:
    if SOURCE_ALIAS in connections.settings:
        connections[SOURCE_ALIAS].close()
        del connections[SOURCE_ALIAS]
        del connections.settings[SOURCE_ALIAS]


def sqlite_snapshot(source: str, dest: Path, stream: TextIO) -> None:
    """Copy the database as of one instant with SQLite's online backup API: a read
    transaction on the source fixes the snapshot (WAL), so writers carry on and the copy
    never restarts."""
    src = sqlite3.connect(source, timeout=60, isolation_level=None)
    try:
        src.execute("BEGIN")
        pages = src.execute("PRAGMA page_count").fetchone()[0]
        dst = sqlite3.connect(dest)
        try:
            with Progress(stream, "database snapshot", pages, "pages") as bar:

                def step(status: int, remaining: int, total: int) -> None:
                    bar.total = total
                    bar.done = total - remaining
                    bar.draw()

                src.backup(dst, pages=1024, progress=step)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
        src.execute("COMMIT")
    finally:
        src.close()


# --- backup -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupReport:
    path: Path
    engine: str
    tables: int
    rows: int
    media_files: int
    media_bytes: int
    bytes: int


def lockstep_version() -> str:
    try:
        return version("lockstep")
    except PackageNotFoundError:
        return "unknown"


def media_files() -> list[tuple[str, int]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found.append((path.relative_to(root).as_posix(), path.stat().st_size))
    return found


def dump_rows(
    alias: str, work: Path, stream: TextIO
) -> tuple[list[Node], dict[str, dict[str, Any]]]:
    """The portable logical dump: every table as gzipped JSON lines, all read in one
    snapshot. Returns the applied migrations and the tables' counts and digests."""
    (work / ROWS_DIR).mkdir()
    tables: dict[str, dict[str, Any]] = {}
    with read_snapshot(alias):
        applied = applied_nodes(alias)
        loader = MigrationLoader(None, ignore_no_migrations=True)
        models_ = models_at(leaf_nodes(loader, applied))
        with Progress(stream, "database rows", count_rows(models_, alias), "rows") as bar:
            for model in models_:
                label = model._meta.label_lower
                digest = Digest()
                with gzip.open(
                    work / ROWS_DIR / f"{label}.jsonl.gz", "wt", encoding="utf-8"
                ) as out:
                    for row in read_rows(model, alias):
                        line = row_line(row)
                        digest.add(line)
                        out.write(line + "\n")
                        bar.advance()
                tables[label] = {
                    "table": model._meta.db_table,
                    "rows": digest.rows,
                    "digest": digest.hexdigest(),
                    "columns": [f.attname for f in columns(model)],
                }
    return applied, tables


def backup(
    dest: Path, *, stream: TextIO, alias: str = "default", media: bool = True
) -> BackupReport:
    """Write a consistent backup of the database (and uploaded files) to `dest`, atomically:
    a partial file is never left under that name."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[alias]
    work = Path(tempfile.mkdtemp(prefix=".lockstep-backup-", dir=dest.parent))
    try:
        if connection.vendor == "sqlite":
            kind = "sqlite-file"
            snapshot = work / SQLITE_MEMBER
            sqlite_snapshot(str(connection.settings_dict["NAME"]), snapshot, stream)
            source = open_sqlite_source(snapshot)
            try:
                applied = applied_nodes(source)
                loader = MigrationLoader(None, ignore_no_migrations=True)
                models_ = models_at(leaf_nodes(loader, applied))
                total = count_rows(models_, source)
                with Progress(stream, "checksums", total, "rows") as bar:
                    tables = table_digests(models_, source, bar)
            finally:
                close_sqlite_source()
        elif connection.vendor == "postgresql":
            kind = "rows"
            applied, tables = dump_rows(alias, work, stream)
        else:
            raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
        files = media_files() if media else []
        secret = secret_key_file()
        manifest = {
            "format": FORMAT,
            "app": "lockstep",
            "version": lockstep_version(),
            "created_at": timezone.now().isoformat(),
            "engine": connection.vendor,
            "kind": kind,
            "migrations": [list(n) for n in applied],
            "tables": tables,
            "media": [[name, size] for name, size in files],
            # Sessions, password-reset and unsubscribe links are signed with it.
            "secret_key": "included" if secret else "environment (LOCKSTEP_SECRET_KEY)",
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1))
        partial = work / "backup.tar.gz"
        write_archive(partial, work, kind, files, stream, secret)
        partial.chmod(0o600)  # it holds password hashes and the secret key
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BackupReport(
        path=dest,
        engine=connection.vendor,
        tables=len(tables),
        rows=sum(t["rows"] for t in tables.values()),
        media_files=len(files),
        media_bytes=sum(size for _, size in files),
        bytes=dest.stat().st_size,
    )


class _Counting:
    def __init__(self, handle: IO[bytes], bar: Progress) -> None:
        self.handle = handle
        self.bar = bar

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.bar.advance(len(data))
        return data


def secret_key_file() -> Path | None:
    """The generated secret key in the data directory, unless the environment sets one."""
    path = Path(settings.DATA_DIR) / "secret.key"
    if os.environ.get("LOCKSTEP_SECRET_KEY", "").strip() or not path.is_file():
        return None
    return path


def write_archive(
    path: Path,
    work: Path,
    kind: str,
    files: list[tuple[str, int]],
    stream: TextIO,
    secret: Path | None = None,
) -> None:
    members: list[tuple[str, Path]] = [(MANIFEST, work / MANIFEST)]
    if secret is not None:
        members.append((SECRET_MEMBER, secret))
    if kind == "sqlite-file":
        members.append((SQLITE_MEMBER, work / SQLITE_MEMBER))
    else:
        members += [
            (f"{ROWS_DIR}/{p.name}", p) for p in sorted((work / ROWS_DIR).glob("*.jsonl.gz"))
        ]
    media_root = Path(settings.MEDIA_ROOT)
    members += [(f"{MEDIA_DIR}/{name}", media_root / name) for name, _ in files]
    total = 0
    for _, source in members:
        try:
            total += source.stat().st_size
        except FileNotFoundError:
            pass
    with (
        tarfile.open(path, "w:gz", compresslevel=6) as tar,
        Progress(stream, "archive", total, "bytes") as bar,
    ):
        for name, source in members:
            try:
                handle = source.open("rb")
            except FileNotFoundError:
                continue  # an upload deleted meanwhile: the snapshot may not name it anyway
            with handle:
                info = tar.gettarinfo(fileobj=handle, arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tar.addfile(info, _Counting(handle, bar))


# --- restore ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreReport:
    engine_from: str
    engine_to: str
    tables: int
    rows: int
    media_files: int


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:*") as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST:
                raise BackupError(f"{path} is not a Lockstep backup (no manifest first).")
            handle = tar.extractfile(member)
            if handle is None:
                raise BackupError(f"{path}: unreadable manifest.")
            manifest: dict[str, Any] = json.load(handle)
    except (tarfile.TarError, OSError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} is not a readable Lockstep backup: {exc}") from exc
    if manifest.get("app") != "lockstep" or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}.")
    return manifest


def nonempty_tables(alias: str) -> list[str]:
    connection = connections[alias]
    names = connection.introspection.table_names()
    found = []
    with connection.cursor() as cursor:
        for name in names:
            if name in EMPTY_ANYWAY or name.startswith("sqlite_"):
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(name)} LIMIT 1")  # noqa: S608 — a table name from introspection
            if cursor.fetchone() is not None:
                found.append(name)
    return found


def ensure_empty(alias: str) -> None:
    full = nonempty_tables(alias)
    if full:
        raise BackupError(
            "Restore goes into an empty database; this one has data ("
            + ", ".join(full[:5])
            + (", …" if len(full) > 5 else "")
            + "). Use a new database or data directory."
        )
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(p.is_file() for p in media.rglob("*")):
        raise BackupError(f"Restore goes into an empty data directory; {media} has files.")


def safe_member(name: str, prefix: str) -> PurePosixPath | None:
    """The path under `prefix` of an archive member, or None if it tries to leave it."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] != prefix:
        return None
    return PurePosixPath(*path.parts[1:]) if len(path.parts) > 1 else None


def extract(path: Path, work: Path, stream: TextIO, manifest: dict[str, Any]) -> int:
    """Unpack the archive into `work` (members that would leave it are skipped). Returns
    the number of media files."""
    media_root = work / MEDIA_DIR
    total = sum(int(size) for _, size in manifest.get("media", []))
    count = 0
    with (
        tarfile.open(path, "r:*") as tar,
        Progress(stream, "unpacking", max(total, 1), "bytes") as bar,
    ):
        for member in tar:
            if not member.isfile():
                continue
            if member.name in (SQLITE_MEMBER, SECRET_MEMBER) or (
                member.name.startswith(ROWS_DIR + "/") and safe_member(member.name, ROWS_DIR)
            ):
                target = work / member.name
            else:
                relative = safe_member(member.name, MEDIA_DIR)
                if relative is None:
                    continue
                target = media_root / relative
                count += 1
                bar.advance(member.size)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = tar.extractfile(member)
            if handle is None:
                continue
            with handle, target.open("wb") as out:
                shutil.copyfileobj(handle, out, 1 << 20)
    return count


def move_media(work: Path) -> None:
    """Put the restored files in MEDIA_ROOT (same file system: each move is a rename)."""
    unpacked = work / MEDIA_DIR
    media_root = Path(settings.MEDIA_ROOT)
    for path in sorted(unpacked.rglob("*")):
        if path.is_file():
            target = media_root / path.relative_to(unpacked)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)


def restore_secret_key(unpacked: Path) -> None:
    """The backup's generated secret key replaces this data directory's (sessions and
    signed links keep working), unless the environment sets the key."""
    if not unpacked.is_file() or os.environ.get("LOCKSTEP_SECRET_KEY", "").strip():
        return
    target = Path(settings.DATA_DIR) / "secret.key"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(unpacked.read_bytes())
    target.chmod(0o600)


def migrate_to(alias: str, nodes: list[Node]) -> None:
    """Bring the schema to exactly these migrations (forwards or backwards)."""
    connection = connections[alias]
    executor = MigrationExecutor(connection)
    apps_in_backup = {app for app, _ in nodes}
    targets: list[tuple[str, str | None]] = list(nodes)
    targets += [(app, None) for app in executor.loader.migrated_apps - apps_in_backup]
    executor.migrate(targets)


def jsonl_rows(path: Path, fields: list[models.Field[Any, Any]]) -> Iterator[list[Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield [decode(f, v) for f, v in zip(fields, json.loads(line), strict=True)]


def insert_rows(
    model: type[models.Model], alias: str, rows: Iterable[Iterable[Any]], bar: Progress
) -> None:
    fields = columns(model)
    names = [f.attname for f in fields]
    connection = connections[alias]
    limit = connection.features.max_query_params or 999
    size = max(1, min(500, limit // max(1, len(fields))))
    manager = model._base_manager.using(alias)
    batch: list[models.Model] = []
    for values in rows:
        batch.append(model.from_db(alias, names, list(values)))
        if len(batch) >= size:
            manager._insert(batch, fields=fields, using=alias, raw=True)  # type: ignore[attr-defined]
            bar.advance(len(batch))
            batch = []
    if batch:
        manager._insert(batch, fields=fields, using=alias, raw=True)  # type: ignore[attr-defined]
        bar.advance(len(batch))


def load_rows(
    alias: str,
    models_: list[type[models.Model]],
    source: Callable[[type[models.Model]], Iterable[Iterable[Any]]],
    total: int,
    stream: TextIO,
) -> None:
    """Empty every table, then insert the backup's rows, in one transaction (foreign keys
    are checked at commit, so the order of tables does not matter)."""
    connection = connections[alias]
    with transaction.atomic(using=alias), Progress(stream, "loading rows", total, "rows") as bar:
        with connection.cursor() as cursor:
            for model in models_:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
        for model in models_:
            insert_rows(model, alias, source(model), bar)
        statements = connection.ops.sequence_reset_sql(no_style(), models_)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def verify(
    manifest: dict[str, Any], models_: list[type[models.Model]], alias: str, stream: TextIO
) -> int:
    expected = manifest["tables"]
    total = sum(int(t["rows"]) for t in expected.values())
    with Progress(stream, "verifying", total, "rows") as bar:
        found = table_digests(models_, alias, bar)
    wrong = [
        label
        for label, table in expected.items()
        if found.get(label, {}).get("rows") != table["rows"]
        or found.get(label, {}).get("digest") != table["digest"]
    ]
    if wrong:
        raise BackupError(
            "The restored data differ from the backup in: " + ", ".join(sorted(wrong)[:10])
        )
    return total


def restore(path: Path, *, stream: TextIO, alias: str = "default") -> RestoreReport:
    """Restore a backup into an empty database and data directory, verify every table, then
    migrate to the current version."""
    manifest = read_manifest(path)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    nodes = leaf_nodes(loader, [(str(app), str(name)) for app, name in manifest["migrations"]])
    models_ = [m for m in models_at(nodes) if m._meta.label_lower in manifest["tables"]]
    connection = connections[alias]
    ensure_empty(alias)
    work = Path(tempfile.mkdtemp(prefix=".lockstep-restore-", dir=settings.DATA_DIR))
    try:
        media = extract(path, work, stream, manifest)
        if manifest["kind"] == "sqlite-file" and connection.vendor == "sqlite":
            place_sqlite_file(work / SQLITE_MEMBER, alias)
        else:
            migrate_to(alias, nodes)
            total = sum(int(t["rows"]) for t in manifest["tables"].values())
            if manifest["kind"] == "sqlite-file":
                source_alias = open_sqlite_source(work / SQLITE_MEMBER)
                try:
                    load_rows(alias, models_, lambda m: read_rows(m, source_alias), total, stream)
                finally:
                    close_sqlite_source()
            else:
                load_rows(
                    alias,
                    models_,
                    lambda m: jsonl_rows(
                        work / ROWS_DIR / f"{m._meta.label_lower}.jsonl.gz", columns(m)
                    ),
                    total,
                    stream,
                )
        rows = verify(manifest, models_, alias, stream)
        snapshots.reset(alias)  # figures kept for the database before are never shown
        move_media(work)
        restore_secret_key(work / SECRET_MEMBER)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RestoreReport(
        engine_from=manifest["engine"],
        engine_to=connection.vendor,
        tables=len(models_),
        rows=rows,
        media_files=media,
    )


def place_sqlite_file(snapshot: Path, alias: str) -> None:
    """Put the snapshot where the database lives (the target is empty: checked before)."""
    target = Path(connections[alias].settings_dict["NAME"])
    connections[alias].close()
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(snapshot, staged)
    with staged.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staged, target)
