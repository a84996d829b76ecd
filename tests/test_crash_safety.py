"""SIGKILL at random points: a real `lockstep import` and real `lockstep worker` processes
are killed mid-work, several times (bounded), then checked — no partial import, no orphan
rows, a rerun completes; tasks resume and nothing is sent twice, even with two workers."""

from __future__ import annotations

import email
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.procs import (
    Site,
    crm_people,
    demo_copy,  # noqa: F401 — fixtures
    demo_site,  # noqa: F401
    ops_base,  # noqa: F401
    sqlite_demo_site,  # noqa: F401
    wait_for,
    write_leads,
)

IMPORT_ROWS = 12_000
IMPORT_KILLS = 5
WORKER_KILLS = 4
QUEUED_EMAILS = 100


def import_state(site: Site, prefix: str) -> dict[str, int]:
    """What an import of ids starting with `prefix` left (plain SQL: cheap)."""
    like = prefix + "%"
    one = lambda query, *args: int(site.sql(query, *args)[0][0])  # noqa: E731
    return {
        "leads": one("SELECT COUNT(*) FROM results_lead WHERE external_id LIKE %s", like),
        "touches": one(
            "SELECT COUNT(*) FROM results_leadtouch t JOIN results_lead l ON t.lead_id = l.id"
            " WHERE l.external_id LIKE %s",
            like,
        ),
        "opportunities": one(
            "SELECT COUNT(*) FROM results_opportunity o JOIN results_lead l ON o.lead_id = l.id"
            " WHERE l.external_id LIKE %s",
            like,
        ),
        "audit": one("SELECT COUNT(*) FROM core_auditlog WHERE action = 'import.finished'"),
    }


@dataclass
class ImportRuns:
    full_seconds: float
    kills: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    finished_before_kill: int = 0
    leftover_temp: list[str] = field(default_factory=list)
    rerun: str = ""
    again: str = ""
    final: dict[str, int] = field(default_factory=dict)
    baseline: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def import_runs(ops_base: Path, demo_site: Site) -> Any:  # noqa: F811
    """One site; a full import timed, then IMPORT_KILLS imports killed at random points of
    that duration (each checked), then the rerun."""
    site = Site.create(ops_base, template=demo_site)
    try:
        people = crm_people(site)

        def leads_file(prefix: str) -> tuple[str, ...]:
            path = site.data_dir / f"{prefix}.csv"
            write_leads(path, IMPORT_ROWS, people["owners"], people["campaigns"], prefix)
            return ("import", "leads", str(path), "--org", "demo", "--preset", "salesforce")

        baseline = import_state(site, "FULL")
        started = time.monotonic()
        site.run(*leads_file("FULL"), timeout=300)
        runs = ImportRuns(full_seconds=time.monotonic() - started, baseline=baseline)
        assert import_state(site, "FULL")["leads"] == IMPORT_ROWS
        rng = random.Random()
        for n in range(IMPORT_KILLS):
            # Each run imports new ids, so what a kill left is counted alone.
            command = leads_file(f"KILL{n}X")
            process = site.start(*command, log=f"import-kill-{n}.log")
            # Random points of the time a full import takes (start-up, checking, writing);
            # the commit comes near its end.
            delay = rng.uniform(0.1, 0.8) * runs.full_seconds
            time.sleep(delay)
            if process.poll() is not None:
                runs.finished_before_kill += 1
            process.send_signal(signal.SIGKILL)
            process.wait()
            runs.kills.append((round(delay, 2), import_state(site, f"KILL{n}X")))
        runs.leftover_temp = [p.name for p in site.tmp.iterdir()]
        runs.rerun = site.run(*command, timeout=300).stdout
        runs.again = site.run(*command, timeout=300).stdout
        runs.final = import_state(site, f"KILL{IMPORT_KILLS - 1}X")
        print(  # noqa: T201 — the figures for the record
            f"\nimport of {IMPORT_ROWS:,} rows: {runs.full_seconds:.1f} s; SIGKILL at "
            f"{[k for k, _ in runs.kills]} s -> leads {[s['leads'] for _, s in runs.kills]}"
        )
        yield runs
    finally:
        site.destroy()


def test_a_killed_import_writes_all_or_nothing(import_runs: ImportRuns) -> None:
    assert len(import_runs.kills) == IMPORT_KILLS
    for delay, state in import_runs.kills:
        assert state["leads"] in (0, IMPORT_ROWS), (delay, state)
    # Some kills landed before the import committed (not all after it finished).
    assert import_runs.finished_before_kill < IMPORT_KILLS
    assert any(state["leads"] == 0 for _, state in import_runs.kills)


def test_a_killed_import_leaves_no_orphan_rows(import_runs: ImportRuns) -> None:
    for _, state in import_runs.kills:
        assert state["touches"] == state["opportunities"] == 0


def test_a_killed_import_has_its_audit_row_exactly_when_its_rows(
    import_runs: ImportRuns,
) -> None:
    committed = 1  # the timed full import
    for _, state in import_runs.kills:
        committed += state["leads"] == IMPORT_ROWS
        assert state["audit"] == import_runs.baseline["audit"] + committed


def test_after_the_kills_a_rerun_completes_and_a_second_changes_nothing(
    import_runs: ImportRuns,
) -> None:
    assert import_runs.final["leads"] == IMPORT_ROWS
    assert f"{IMPORT_ROWS:,}" in import_runs.rerun or str(IMPORT_ROWS) in import_runs.rerun
    assert "0 created" in import_runs.again and "unchanged" in import_runs.again


def test_a_killed_import_leaves_no_temporary_files(import_runs: ImportRuns) -> None:
    assert import_runs.leftover_temp == []


# --- the worker ---------------------------------------------------------------------------

QUEUE = """
from django.utils import timezone
from lockstep.core.tasks import send_email
from lockstep.orgs.models import Organization
from lockstep.programs.models import Program, ProgramStatus, PulseRound
from lockstep.programs.selectors import audience_reps, current_round
org = Organization.objects.get(slug="demo")
for i in range(int(sys.argv[1])):
    send_email.enqueue([f"crash{i}@example.com"], f"crash-test #{i}", "Body", key=f"crash:{i}", org_id=org.pk)
# A pulse round opening today in a live program: the worker's periodic job notifies (and
# e-mails) each audience rep once.
reps = mailed = 0
for program in Program.objects.filter(org=org, status=ProgramStatus.LIVE, launched_at__isnull=False):
    day = (timezone.localdate() - timezone.localdate(program.launched_at)).days
    if day > 0 and not PulseRound.objects.filter(program=program, day_offset=day).exists():
        PulseRound.objects.create(org=org, program=program, day_offset=day)
        if current_round(program).day_offset == day:
            reps += audience_reps(program).count()
            mailed += audience_reps(program).filter(email_notifications=True).count()
            break
print(json.dumps({"pulse_reps": reps, "pulse_mailed": mailed}))
"""

WORKER_STATE = """
from django_tasks_db.models import DBTaskResult
from lockstep.core.models import Notification, SentMessage
from lockstep.ops.models import PeriodicJobState
print(json.dumps({
    "statuses": dict(Counter(DBTaskResult.objects.values_list("status", flat=True))),
    "sent_keys": SentMessage.objects.count(),
    "crash_keys": SentMessage.objects.filter(key__startswith="crash:").count(),
    "pulse_notes": Notification.objects.filter(kind="pulse.opened", created_at__gte=start).count(),
    "jobs_done": PeriodicJobState.objects.filter(last_finished_at__isnull=False).count(),
    "jobs": PeriodicJobState.objects.count(),
}))
"""


def task_statuses(site: Site) -> dict[str, int]:
    rows = site.sql(
        "SELECT status, COUNT(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
    )
    return {str(status): int(count) for status, count in rows}


def drained(site: Site) -> bool:
    """No task waiting or running, and every periodic job has run (a cheap SQL poll)."""
    statuses = task_statuses(site)
    jobs_left = site.sql("SELECT COUNT(*) FROM ops_periodicjobstate WHERE last_finished_at IS NULL")
    jobs = site.sql("SELECT COUNT(*) FROM ops_periodicjobstate")
    return (
        not statuses.get("READY") and not statuses.get("RUNNING")
        and jobs[0][0] > 0 and jobs_left[0][0] == 0
    )  # fmt: skip


def worker_state(site: Site, since: str) -> dict[str, Any]:
    code = (
        "from collections import Counter\n"
        "from django.utils.dateparse import parse_datetime\n"
        "start = parse_datetime(sys.argv[1])\n" + WORKER_STATE
    )
    state: dict[str, Any] = site.script(code, since)
    return state


def delivered(site: Site) -> Counter[tuple[str, str]]:
    """(recipient, subject) of every message the file e-mail backend wrote."""
    seen: Counter[tuple[str, str]] = Counter()
    for path in (site.data_dir / "mail").glob("*.log"):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = email.message_from_bytes(chunk)
                seen[(str(message["To"]), str(message["Subject"]))] += 1
    return seen


def test_killed_workers_resume_and_send_nothing_twice(demo_copy: Site) -> None:  # noqa: F811
    since = demo_copy.script(
        "from django.utils import timezone\nprint(json.dumps(timezone.now().isoformat()))"
    )
    queued = demo_copy.script(QUEUE, str(QUEUED_EMAILS))
    rng = random.Random()
    kills = []
    for n in range(WORKER_KILLS):
        log = f"worker-kill-{n}.log"
        worker = demo_copy.start("worker", log=log)
        # Killed at a random point once it is at work (a task or a periodic job running).
        wait_for(
            lambda log=log: " done" in demo_copy.log(log) or " sent " in demo_copy.log(log), 60
        )
        delay = rng.uniform(0.0, 0.3)
        time.sleep(delay)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kills.append(round(delay, 2))
    mid = task_statuses(demo_copy)
    assert not drained(demo_copy)  # the kills left work half done, for the next workers
    # Two workers at once finish the work: each task and each due item once.
    workers = [demo_copy.start("worker", log=f"worker-final-{i}.log") for i in range(2)]
    for i in range(2):
        wait_for(lambda i=i: "started" in demo_copy.log(f"worker-final-{i}.log"), 60)
    wait_for(lambda: drained(demo_copy), 120, interval=0.3, what="the queue to drain")
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    assert [w.wait(timeout=30) for w in workers] == [0, 0]
    state = worker_state(demo_copy, since)
    mail = delivered(demo_copy)
    print(  # noqa: T201
        f"\nworker SIGKILL after {kills} s; before the final workers: {mid}; "
        f"after: {state['statuses']}; {sum(mail.values())} e-mails delivered, "
        f"{state['sent_keys']} keys recorded"
    )
    assert set(state["statuses"]) == {"SUCCESSFUL"}, state["statuses"]
    duplicates = {k: n for k, n in mail.items() if n > 1}
    assert not duplicates
    crash = {subject for (_, subject) in mail if subject.startswith("crash-test #")}
    # At most one e-mail is lost per kill: the one whose send was cut (at-most-once).
    assert QUEUED_EMAILS - WORKER_KILLS <= len(crash) <= QUEUED_EMAILS
    assert state["crash_keys"] == QUEUED_EMAILS
    assert state["pulse_notes"] == queued["pulse_reps"] > 0
    pulse_mail = [s for (_, s) in mail if s.startswith("Quick pulse")]
    assert queued["pulse_mailed"] - WORKER_KILLS <= len(pulse_mail) <= queued["pulse_mailed"]
