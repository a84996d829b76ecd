"""Time a large lead import and measure its peak memory.

    LOCKSTEP_DATA_DIR=$(mktemp -d) .venv/bin/python bench/import_bench.py 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lockstep_bench .venv/bin/python bench/import_bench.py 1000000

Writes a Salesforce-style CSV of N leads (UTF-8, 11 columns, reps and campaigns that exist),
then runs the real import service (`run_import` with `LeadsSpec`, both passes, all rows
written in one transaction) and reports rows per second and the process's peak resident
memory. A second run of the same file measures the idempotent re-import (all unchanged)."""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lockstep.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from lockstep.accounts.models import User  # noqa: E402
from lockstep.core.imports import run_import  # noqa: E402
from lockstep.core.permissions import Role  # noqa: E402
from lockstep.orgs.models import Membership, Organization, Team  # noqa: E402
from lockstep.programs.models import Program  # noqa: E402
from lockstep.results.imports import LeadsSpec  # noqa: E402

HEADER = "Lead ID,First Name,Last Name,Company,Email,Phone,Lead Status,Lead Source,Lead Owner,Created Date,Campaign Name\n"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup() -> Organization:
    call_command("migrate", verbosity=0)
    slug = f"bench-import-{random.randint(0, 10**9)}"
    org = Organization.objects.create(name="Import bench", slug=slug)
    team = Team.objects.create(org=org, name="Team")
    for i in range(50):
        user = User.objects.create(email=f"rep{i}@{slug}.example", password="!")
        Membership.objects.create(org=org, user=user, role=Role.REP, team=team)
    for i in range(5):
        Program.objects.create(org=org, name=f"P{i}", campaign_codes=[f"CAMP-{i}"])
    return org


def write_file(path: Path, rows: int, slug: str) -> None:
    rng = random.Random(1)
    statuses = ["Open - Not Contacted", "Working - Contacted", "Closed - Converted"]
    with path.open("w") as out:
        out.write(HEADER)
        for i in range(rows):
            out.write(
                f"00Q{i:09d},First{i},Last{i},Company {i % 9973},lead{i}@example.com,"
                f"+1 555 {i % 10000:04d},{rng.choice(statuses)},Web,rep{i % 50}@{slug}.example,"
                f"2026-{1 + i % 12:02d}-{1 + i % 28:02d},CAMP-{i % 6}\n"
            )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    org = setup()
    path = Path(tempfile.mkdtemp()) / "leads.csv"
    write_file(path, rows, org.slug)
    size_mb = path.stat().st_size / 1e6
    before = peak_mb()
    print(
        f"database: {connection.vendor}; {rows:,} rows, {size_mb:.0f} MB file; "
        f"peak RSS before import {before:.0f} MB"
    )
    for label in ("first import", "re-import"):
        start = time.perf_counter()
        with path.open("rb") as stream:
            report = run_import(LeadsSpec(org, "salesforce"), stream, acting_user=None)
        seconds = time.perf_counter() - start
        print(f"{label}: {report.summary()}")
        print(f"  {seconds:.1f} s, {rows / seconds:,.0f} rows/s, peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
