"""Issue 9, a large import must not lock everyone else out — real processes on a real
database: the test database itself on PostgreSQL, a copy of it in a SQLite file (WAL) on
SQLite. The helper processes are in tests/import_load.py. The million-row proof is
bench/import_bench.py; these stay in seconds."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from lockstep.results.models import Lead
from tests.conftest import World
from tests.scenarios import lead

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent
ROWS = 24_000  # the import reports progress (and pauses) after 10,000 rows


@dataclass
class Site:
    env: dict[str, str]
    sqlite: Path | None
    tmp: Path

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.import_load", *args],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def imported(self) -> int:
        """Leads of the file (C…) in the database the processes use."""
        if self.sqlite is None:
            return Lead.objects.filter(external_id__startswith="C").count()
        with sqlite3.connect(self.sqlite) as db:
            return int(
                db.execute(
                    "SELECT count(*) FROM results_lead WHERE external_id LIKE 'C%'"
                ).fetchone()[0]
            )

    def stage_tables(self) -> int:
        if self.sqlite is not None:
            return 0  # SQLite's temporary tables live in the connection's own temp file
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'lockstep_stage_%%'")
            return int(cursor.fetchone()[0])


@pytest.fixture
def site(world: World, tmp_path: Path) -> Site:
    for i in range(20):
        lead(world, None, world.rep, f"WEB-{i}")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    env = {
        **os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "lockstep.settings", "LOCKSTEP_DATA_DIR": str(data),
        "LOCKSTEP_SECRET_KEY": "test-secret-key-not-for-production-0123456789",
    }  # fmt: skip
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(data / "lockstep.sqlite3") as target:
            connection.connection.backup(target)
        env.pop("DATABASE_URL", None)
        return Site(env, data / "lockstep.sqlite3", tmp)
    parts = urlsplit(os.environ["DATABASE_URL"])
    name = connection.settings_dict["NAME"]
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    return Site(env, None, tmp)


@pytest.fixture
def crm_file(tmp_path: Path) -> Path:
    path = tmp_path / "crm.csv"
    with path.open("w") as out:
        out.write("Lead ID,Company,Owner Email,Create Date\n")
        for i in range(ROWS):
            out.write(f"C{i:06d},Company {i},rep@acme.example,2026-02-{1 + i % 28:02d}\n")
    return path


def finish(process: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


def phases(err: str) -> dict[str, float]:
    found = {}
    for line in err.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            key = event.get("phase") or "resumed:" + event.get("resumed", "")
            found[key] = event["at"]
    return found


def test_web_writes_go_on_while_a_large_import_checks_and_writes(
    site: Site, crm_file: Path
) -> None:
    """While the import checks its rows, the web writes without waiting; while it writes
    (held open here for a second), the web's writes wait their turn and succeed — they
    used to wait 20 s and fail with "database is locked"."""
    stop = site.tmp.parent / "stop"
    web = site.start("web", "acme", str(stop))
    time.sleep(2)  # the web process is up and writing
    importer = site.start(
        "import", "acme", str(crm_file), "--pause", "checking", "1.5", "--pause", "writing", "1.5"
    )  # fmt: skip
    code, out, err = finish(importer)
    stop.touch()
    web_code, web_out, web_err = finish(web)
    assert code == 0, err
    assert json.loads(out)["counts"] == {"created": ROWS, "updated": 0, "unchanged": 0}
    assert web_code == 0, web_err
    writes = json.loads(web_out)
    assert writes and all(w["outcome"] == "ok" for w in writes), writes
    at = phases(err)
    checking = (at["checking"], at["resumed:checking"])
    during_check = [w for w in writes if checking[0] < w["start"] and w["end"] < checking[1]]
    assert during_check, "no web write went through while the import was checking"
    writing = (at["writing"], at["resumed:writing"])
    during_write = [w for w in writes if writing[0] < w["start"] < writing[1]]
    assert during_write, "no web write was tried while the import was writing"
    assert site.imported() == ROWS


def test_the_same_file_imported_twice_at_once(site: Site, crm_file: Path) -> None:
    """Two imports of one file into one organization at the same moment: the second waits
    for the first to finish writing, then finds every row unchanged. No traceback."""
    first = site.start("import", "acme", str(crm_file), "--pause", "writing", "1")
    second = site.start("import", "acme", str(crm_file), "--pause", "writing", "1")
    results = [finish(first), finish(second)]
    for code, _, err in results:
        assert code == 0 and "Traceback" not in err, err
    counts = sorted(
        (json.loads(out)["counts"] for _, out, _ in results), key=lambda c: -c["created"]
    )
    assert counts == [
        {"created": ROWS, "updated": 0, "unchanged": 0},
        {"created": 0, "updated": 0, "unchanged": ROWS},
    ]
    assert site.imported() == ROWS


@pytest.mark.parametrize("phase", ["checking", "writing"])
def test_a_killed_import_leaves_nothing_behind(site: Site, crm_file: Path, phase: str) -> None:
    """Killed (SIGKILL: no cleanup code runs) while checking or in the middle of its write
    transaction: no row written, no temporary file or table left, and the next import
    runs (no lock left held)."""
    code, _, err = finish(site.start("import", "acme", str(crm_file), "--die", phase))
    assert code == -signal.SIGKILL, err
    assert phase in phases(err)
    assert site.imported() == 0
    assert list(site.tmp.iterdir()) == []
    deadline = time.monotonic() + 10
    while site.stage_tables() and time.monotonic() < deadline:
        time.sleep(0.1)  # PostgreSQL drops a dead session's temporary tables
    assert site.stage_tables() == 0
    code, out, err = finish(site.start("import", "acme", str(crm_file)))
    assert code == 0, err
    assert json.loads(out)["counts"]["created"] == ROWS
    assert list(site.tmp.iterdir()) == []
