"""Real `lockstep` processes for the operations tests: a site is a data directory with
its own SQLite file, or — when the suite runs on PostgreSQL (`DATABASE_URL` set) — its own
database `lockstep_ops_<random>` on the same server, dropped afterwards. Commands run as
subprocesses on free ports; everything started is killed at teardown, whatever happened."""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith(("postgres://", "postgresql://"))
ENGINE = "postgresql" if ON_POSTGRES else "sqlite"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate: Any, timeout: float, interval: float = 0.05, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


def children_of(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def http(
    port: int,
    path: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, str, dict[str, str]]:
    """(status, body, headers) without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers=headers or {}
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace"), dict(exc.headers)


def serving(port: int) -> bool:
    """The port is open and /healthz answers 200 (a slow answer counts as not yet)."""
    try:
        return port_open(port) and http(port, "/healthz", timeout=10)[0] == 200
    except OSError:
        return False


def _server(dbname: str) -> str:
    parts = urlsplit(SERVER_URL)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_server("postgres"), autocommit=True) as conn:
        conn.execute(sql)


@dataclass
class Site:
    """One installation: a data directory, and its own database on PostgreSQL."""

    data_dir: Path
    database: str | None = None  # the PostgreSQL database name
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, base: Path, *, template: Site | None = None, engine: str = ENGINE) -> Site:
        data_dir = base / f"site-{secrets.token_hex(3)}"
        if template is not None:
            shutil.copytree(template.data_dir, data_dir)
        else:
            data_dir.mkdir(parents=True)
        site = cls(data_dir=data_dir)
        if engine == "postgresql":
            site.database = f"lockstep_ops_{secrets.token_hex(4)}"
            source = f" TEMPLATE {template.database}" if template and template.database else ""
            pg_admin(f'CREATE DATABASE "{site.database}"{source}')
        return site

    @property
    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"} and not k.startswith("LOCKSTEP_")
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "lockstep.settings",
                "LOCKSTEP_DATA_DIR": str(self.data_dir),
                "LOCKSTEP_SECRET_KEY": "ops-test-secret-key-not-for-production-0123456789",
                "LOCKSTEP_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "LOCKSTEP_STOP_TIMEOUT": "8",
                "LOCKSTEP_WORKER_HEARTBEAT": "1",
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": str(ROOT),
                "TMPDIR": str(self.tmp),
            }
        )
        if self.database:
            env["DATABASE_URL"] = _server(self.database)
        env.update(self.extra_env)
        return env

    @property
    def tmp(self) -> Path:
        path = self.data_dir.parent / f"{self.data_dir.name}-tmp"
        path.mkdir(exist_ok=True)
        return path

    @property
    def sqlite_file(self) -> Path:
        return self.data_dir / "lockstep.sqlite3"

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "lockstep.cli", *args]

    def run(
        self, *args: str, timeout: float = 180, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.command(*args),
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"lockstep {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n"
                f"{result.stderr[-4000:]}"
            )
        return result

    def start(self, *args: str, log: str | None = None) -> subprocess.Popen[bytes]:
        out = (self.data_dir / (log or f"{args[0]}-{len(self.processes)}.log")).open("wb")
        process = subprocess.Popen(
            self.command(*args),
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a SIGKILL of the test cannot reach it, teardown does
        )
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        path = self.data_dir / name
        return path.read_text(errors="replace") if path.exists() else ""

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """A plain query on the site's database from the test process (no Django start-up:
        cheap enough to poll). Placeholders: %s."""
        if self.database:
            import psycopg

            with psycopg.connect(_server(self.database), autocommit=True) as pg:
                return list(pg.execute(query, params).fetchall())
        import sqlite3

        lite = sqlite3.connect(self.sqlite_file, timeout=30)
        try:
            return list(lite.execute(query.replace("%s", "?"), params).fetchall())
        finally:
            lite.close()

    def script(self, code: str, *args: str, timeout: float = 120) -> Any:
        """Run Python with Django set up against this site; returns the JSON it prints last."""
        prelude = "import django, json, sys\ndjango.setup()\n"
        result = subprocess.run(
            [sys.executable, "-c", prelude + code, *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"script failed:\n{result.stderr[-4000:]}")
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        return json.loads(lines[-1]) if lines else None

    def kill_all(self) -> None:
        for process in self.processes:
            pids = [process.pid, *children_of(process.pid)]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()
        self.processes.clear()

    def destroy(self) -> None:
        self.kill_all()
        if self.database:
            pg_admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self.database = None


# Test modules import these fixtures; the demo site is built once per test process even
# though each module registers the fixture anew.
_shared: dict[str, Site] = {}


@pytest.fixture(scope="session")
def ops_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "ops"


@pytest.fixture(scope="session")
def sqlite_demo_site(request: pytest.FixtureRequest, ops_base: Path) -> Site:
    """A SQLite site with the demo organization loaded (migrate + demo data), built once
    per test run."""
    if "sqlite-demo" not in _shared:
        ops_base.mkdir(exist_ok=True)
        site = Site.create(ops_base, engine="sqlite")
        request.config.add_cleanup(site.destroy)
        site.run("demo", "--no-serve", timeout=300)
        _shared["sqlite-demo"] = site
    return _shared["sqlite-demo"]


@pytest.fixture(scope="session")
def demo_site(request: pytest.FixtureRequest, ops_base: Path, sqlite_demo_site: Site) -> Site:
    """The demo site on the suite's database; tests get copies of it (`demo_copy`). On
    PostgreSQL it is the SQLite demo moved with backup and restore: twice as fast as
    loading the demo there, and the move is exercised on every run."""
    if not ON_POSTGRES:
        return sqlite_demo_site
    if "demo" not in _shared:
        site = Site.create(ops_base, engine="postgresql")
        request.config.add_cleanup(site.destroy)
        backup = ops_base / "demo-move.tar.gz"
        sqlite_demo_site.run("backup", str(backup))
        site.run("restore", str(backup))
        _shared["demo"] = site
    return _shared["demo"]


@pytest.fixture(scope="session")
def migrated_site(request: pytest.FixtureRequest, ops_base: Path) -> Site:
    """An empty site on the suite's database with every migration applied (`lockstep
    migrate` from nothing), logging JSON lines; built once per test run."""
    if "migrated" not in _shared:
        ops_base.mkdir(exist_ok=True)
        site = Site.create(ops_base)
        request.config.add_cleanup(site.destroy)
        site.extra_env["LOCKSTEP_LOG_FORMAT"] = "json"
        site.run("migrate")
        _shared["migrated"] = site
    return _shared["migrated"]


@pytest.fixture
def demo_copy(demo_site: Site, ops_base: Path) -> Iterator[Site]:
    site = Site.create(ops_base, template=demo_site)
    try:
        yield site
    finally:
        site.destroy()


@pytest.fixture
def empty_site(ops_base: Path) -> Iterator[Site]:
    ops_base.mkdir(exist_ok=True)
    site = Site.create(ops_base)
    try:
        yield site
    finally:
        site.destroy()


# --- driving a served site as its users ----------------------------------------------------

CSRF = "opsTestCsrfToken0123456789abcdef"  # 32 characters: a valid CSRF secret


def sessions(site: Site, emails: list[str]) -> dict[str, str]:
    """A logged-in session cookie for each e-mail (made in the site's database)."""
    code = (
        "from django.test import Client\n"
        "from lockstep.accounts.models import User\n"
        "out = {}\n"
        "for user in User.objects.filter(email__in=json.loads(sys.argv[1])):\n"
        "    client = Client()\n"
        "    client.force_login(user)\n"
        "    out[user.email] = client.cookies['sessionid'].value\n"
        "print(json.dumps(out))"
    )
    found: dict[str, str] = site.script(code, json.dumps(emails))
    return found


def post(
    port: int, path: str, session: str, fields: list[tuple[str, str]], timeout: float = 90
) -> int:
    """POST a form as the session's user; returns the status (redirects not followed)."""
    from urllib.parse import urlencode

    body = urlencode([*fields, ("csrfmiddlewaretoken", CSRF)]).encode()
    headers = {
        "Cookie": f"sessionid={session}; csrftoken={CSRF}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return http(port, path, data=body, headers=headers, timeout=timeout)[0]


PULSE_TARGET = """
from lockstep.programs.models import Program, ProgramStatus
from lockstep.programs.selectors import audience_reps, current_round
for program in Program.objects.filter(org__slug="demo", status=ProgramStatus.LIVE).order_by("pk"):
    pulse_round = current_round(program)
    if pulse_round is not None:
        reps = list(audience_reps(program).values_list("user__email", flat=True).order_by("pk"))
        print(json.dumps({"program": program.pk, "round": pulse_round.pk, "reps": reps}))
        break
"""


def pulse_target(site: Site) -> dict[str, Any]:
    """A live demo program whose pulse round is open, and its audience reps."""
    target: dict[str, Any] = site.script(PULSE_TARGET)
    return target


def answer_pulse(port: int, program: int, session: str, score: int) -> int:
    fields = [("understand", str(score)), ("helps", str(score)), ("next_steps", str(score))]
    return post(port, f"/o/demo/programs/{program}/pulse/answer/", session, fields)


DIGESTS = """
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from lockstep.ops.backup import applied_nodes, leaf_nodes, models_at, table_digests
nodes = leaf_nodes(MigrationLoader(None, ignore_no_migrations=True), applied_nodes("default"))
digests = {label: [t["rows"], t["digest"]] for label, t in table_digests(models_at(nodes), "default").items()}
counts = {}
with connection.cursor() as cursor:
    for table in connection.introspection.table_names():
        if not table.startswith("sqlite_"):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
print(json.dumps({"engine": connection.vendor, "digests": digests, "counts": counts}))
"""


def table_state(site: Site) -> dict[str, Any]:
    """Every table's row count (plain SQL) and every model table's content digest."""
    state: dict[str, Any] = site.script(DIGESTS)
    return state


def media_state(site: Site) -> dict[str, bytes]:
    root = site.data_dir / "media"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --- CRM files for imports ----------------------------------------------------------------

HEADER = (
    "Lead ID,First Name,Last Name,Company,Email,Phone,Lead Status,Lead Source,Lead Owner,"
    "Created Date,Campaign Name\n"
)


def write_leads(
    path: Path, rows: int, owners: list[str], campaigns: list[str], prefix: str = "CRASH"
) -> None:
    rng = random.Random(7)
    with path.open("w") as out:
        out.write(HEADER)
        for i in range(rows):
            out.write(
                f"{prefix}{i:07d},First{i},Last{i},Company {i % 997},lead{i}@example.com,"
                f"+1 555 {i % 10000:04d},Open - Not Contacted,Web,{rng.choice(owners)},"
                f"2026-{1 + i % 11:02d}-{1 + i % 28:02d},{rng.choice(campaigns)}\n"
            )


def crm_people(site: Site) -> dict[str, list[str]]:
    """The demo's rep e-mails and campaign codes (the same in every copy of the demo)."""
    if "crm" not in _cache:
        _cache["crm"] = site.script(SETUP)
    people: dict[str, list[str]] = _cache["crm"]
    return people


_cache: dict[str, Any] = {}

SETUP = """
from lockstep.core.permissions import Role
from lockstep.orgs.models import Membership
from lockstep.programs.models import Program
owners = list(Membership.objects.filter(org__slug="demo", role=Role.REP).values_list("user__email", flat=True))
campaigns = [c for p in Program.objects.filter(org__slug="demo") for c in p.campaign_codes]
print(json.dumps({"owners": owners, "campaigns": campaigns or ["none"]}))
"""
