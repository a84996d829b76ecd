"""Processes for tests/test_import_concurrency.py: an import, and "the web" writing while it
runs, each a real process on a real database (a SQLite file in WAL mode, or the test
PostgreSQL database).

    python -m tests.import_load import ORG FILE [--pause PHASE SECONDS] [--die PHASE]
    python -m tests.import_load web ORG STOPFILE

`import` prints the report as JSON and, with --pause/--die, sleeps or kills itself (SIGKILL:
no cleanup code runs) at the start of a phase ("checking" after the first rows are staged,
"writing" inside the write transaction). Phase times go to stderr as JSON lines. `web`
logs touches on the organization's leads until STOPFILE exists, then prints JSON: each
write's start, end and outcome."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lockstep.settings")


def import_file(slug: str, path: str, pauses: dict[str, float], die: str | None) -> None:
    from lockstep.core.imports import Progress, run_import
    from lockstep.orgs.models import Organization
    from lockstep.results.imports import LeadsSpec

    org = Organization.objects.get(slug=slug)
    done: set[str] = set()

    def progress(p: Progress) -> None:
        if p.phase in done or (p.phase == "checking" and p.rows == 0):
            return
        done.add(p.phase)
        print(json.dumps({"phase": p.phase, "at": time.time()}), file=sys.stderr, flush=True)
        if die == p.phase:
            os.kill(os.getpid(), signal.SIGKILL)
        if p.phase in pauses:
            time.sleep(pauses[p.phase])
            print(json.dumps({"resumed": p.phase, "at": time.time()}), file=sys.stderr, flush=True)

    with open(path, "rb") as stream:
        report = run_import(LeadsSpec(org, "auto"), stream, acting_user=None, progress=progress)
    print(json.dumps({"counts": dict(report.counts), "errors": [str(e) for e in report.errors],
                      "done": time.time()}))  # fmt: skip


def web(slug: str, stop: str) -> None:
    from django.db import DatabaseError

    from lockstep.results import services
    from lockstep.results.models import Lead

    leads = list(
        Lead.objects.filter(org__slug=slug, external_id__startswith="WEB-").select_related(
            "org", "rep", "program"
        )
    )
    writes: list[dict[str, Any]] = []
    i = 0
    while not Path(stop).exists():
        lead = leads[i % len(leads)]
        i += 1
        start = time.time()
        outcome = "ok"
        assert lead.rep is not None
        try:
            services.log_touch(lead=lead, user=lead.rep, kind="call")
        except DatabaseError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        writes.append({"start": start, "end": time.time(), "outcome": outcome})
        time.sleep(0.02)
    print(json.dumps(writes))


def main(argv: list[str]) -> None:
    import django

    django.setup()
    if argv[0] == "import":
        pauses = {argv[i + 1]: float(argv[i + 2]) for i, arg in enumerate(argv) if arg == "--pause"}
        die = argv[argv.index("--die") + 1] if "--die" in argv else None
        import_file(argv[1], argv[2], pauses, die)
    elif argv[0] == "web":
        web(argv[1], argv[2])
    else:
        raise SystemExit(f"unknown command {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
