"""The worker's periodic jobs: a registry, leases so one worker runs a job at a time, each
due item sent once, failures logged and retried; and recovery of tasks left running by a
dead worker. (Two real worker processes racing are in test_crash_safety.py.)"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lockstep.core.models import Notification
from lockstep.ops import periodic, scheduler
from lockstep.ops.models import PeriodicJobState, WorkerHeartbeat
from lockstep.ops.scheduler import PERIODIC_JOBS, PeriodicJob, send_all
from lockstep.ops.worker import host_key, process_start, recover
from lockstep.programs.models import Program
from tests.conftest import World
from tests.scenarios import live_program

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class Counter:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dt.datetime | None] = []
        self.fail = fail

    def __call__(self, now: dt.datetime | None = None) -> int:
        self.calls.append(now)
        if self.fail:
            raise RuntimeError("the mail relay is down")
        return 3


def test_the_registry_names_each_job_once_and_remind_runs_them_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = [job.name for job in PERIODIC_JOBS]
    assert len(names) == len(set(names))
    assert {"pulse-rounds", "reminders", "sla-escalations"} <= set(names)
    assert all(job.every >= dt.timedelta(minutes=1) for job in PERIODIC_JOBS)
    a, b = Counter(), Counter()
    jobs = [
        PeriodicJob("a", dt.timedelta(minutes=5), a),
        PeriodicJob("b", dt.timedelta(hours=1), b),
    ]
    monkeypatch.setattr(scheduler, "PERIODIC_JOBS", jobs)
    assert send_all() == 6 and len(a.calls) == len(b.calls) == 1


@pytest.mark.django_db
def test_a_job_runs_once_per_interval_whichever_worker_asks() -> None:
    job_a = Counter()
    job = PeriodicJob("a", dt.timedelta(minutes=5), job_a)
    now = timezone.now()
    assert [r.sent for r in periodic.run_due_jobs("w1", now=now, jobs=[job])] == [3]
    # The second worker, at the same moment or a minute later: not due.
    assert periodic.run_due_jobs("w2", now=now, jobs=[job]) == []
    assert periodic.run_due_jobs("w2", now=now + dt.timedelta(minutes=1), jobs=[job]) == []
    state = PeriodicJobState.objects.get(name="a")
    assert state.leased_until is None and state.last_result == 3
    assert state.next_run_at == now + dt.timedelta(minutes=5)
    later = now + dt.timedelta(minutes=5, seconds=1)
    assert len(periodic.run_due_jobs("w2", now=later, jobs=[job])) == 1
    assert len(job_a.calls) == 2


@pytest.mark.django_db
def test_a_held_lease_keeps_a_second_worker_out_until_it_expires() -> None:
    job = PeriodicJob("a", dt.timedelta(minutes=5), Counter())
    now = timezone.now()
    periodic.ensure_job_rows([job], now)
    assert periodic.take_lease(job, "w1", now)  # w1 runs it (and, say, dies)
    assert not periodic.take_lease(job, "w2", now)
    assert not periodic.take_lease(job, "w2", now + dt.timedelta(minutes=9))
    assert periodic.take_lease(job, "w2", now + dt.timedelta(minutes=11))  # lease expired
    assert PeriodicJobState.objects.get(name="a").leased_by == "w2"
    assert periodic.release_leases(["w2"]) == 1
    assert PeriodicJobState.objects.get(name="a").leased_until is None


@pytest.mark.django_db
def test_a_failing_job_is_logged_retried_soon_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, fine = Counter(fail=True), Counter()
    jobs = [
        PeriodicJob("broken", dt.timedelta(hours=1), broken),
        PeriodicJob("fine", dt.timedelta(hours=1), fine),
    ]
    now = timezone.now()
    with caplog.at_level(logging.ERROR, logger="lockstep.scheduler"):
        runs = periodic.run_due_jobs("w1", now=now, jobs=jobs)
    assert [(r.name, r.sent) for r in runs] == [("broken", None), ("fine", 3)]
    record = next(r for r in caplog.records if "broken" in r.getMessage())
    assert record.exc_info and "mail relay is down" in str(record.exc_info[1])
    assert getattr(record, "request_id", "").startswith("job-broken")
    state = PeriodicJobState.objects.get(name="broken")
    assert "RuntimeError" in state.last_error and state.leased_until is None
    assert state.next_run_at <= timezone.now() + dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_due_reminders_go_out_once_through_the_registered_jobs(world: World) -> None:
    program, *_ = live_program(world)
    Program.objects.filter(pk=program.pk).update(
        launched_at=timezone.now() - dt.timedelta(days=program.training_due_days + 1)
    )
    first = periodic.run_due_jobs("w1")
    assert {r.name for r in first} >= {"pulse-rounds", "reminders", "sla-escalations"}
    sent = Notification.objects.count()
    notifying = {"pulse-rounds", "reminders", "sla-escalations"}
    assert sent == sum(r.sent or 0 for r in first if r.name in notifying) > 0
    # Make every job due again: a second worker finds nothing new to send.
    PeriodicJobState.objects.update(next_run_at=timezone.now() - dt.timedelta(seconds=1))
    again = periodic.run_due_jobs("w2")
    assert len(again) == len(first)
    assert all(r.sent == 0 for r in again if r.name in notifying)
    assert Notification.objects.count() == sent
    keys = list(Notification.objects.values_list("user_id", "key"))
    assert len(keys) == len(set(keys))


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def running_task(worker_id: str) -> DBTaskResult[..., Any]:
    with override_settings(TASKS=DB_TASKS):
        from lockstep.core.tasks import send_email

        result = send_email.enqueue(["a@b.example"], "Hi", "Body")
    task = DBTaskResult.objects.get(pk=result.id)
    task.claim(worker_id)
    return task


def beat(worker_id: str, **kw: Any) -> WorkerHeartbeat:
    now = timezone.now()
    fields = {"hostname": host_key(), "pid": os.getpid(), "started_at": now, "seen_at": now}
    fields.update(kw)
    return WorkerHeartbeat.objects.create(worker_id=worker_id, **fields)


@pytest.mark.django_db
def test_tasks_of_a_dead_worker_are_queued_again_and_no_others() -> None:
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        beat("dead-here", pid=dead_pid())
        beat("alive-here", pid=sleeper.pid, process_start=process_start(sleeper.pid))
        old = timezone.now() - dt.timedelta(hours=1)
        beat("silent-elsewhere", hostname="elsewhere/1", seen_at=old)
        beat("fresh-elsewhere", hostname="elsewhere/1")
        tasks = {name: running_task(name) for name in [
            "dead-here", "alive-here", "silent-elsewhere", "fresh-elsewhere", "me",
        ]}  # fmt: skip
        orphan = running_task("never-seen")  # no heartbeat, started long ago
        DBTaskResult.objects.filter(pk=orphan.pk).update(started_at=old)
        recent = running_task("just-started-elsewhere")  # no heartbeat yet, started now
        assert recover("me") == 3
        status = {name: DBTaskResult.objects.get(pk=t.pk).status for name, t in tasks.items()}
        assert status == {
            "dead-here": "READY", "alive-here": "RUNNING", "silent-elsewhere": "READY",
            "fresh-elsewhere": "RUNNING", "me": "RUNNING",
        }  # fmt: skip
        assert DBTaskResult.objects.get(pk=orphan.pk).status == "READY"
        assert DBTaskResult.objects.get(pk=recent.pk).status == "RUNNING"
        assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {
            "alive-here", "fresh-elsewhere",
        }  # fmt: skip
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.django_db(transaction=True)
def test_worker_batch_runs_queued_tasks_and_due_jobs_then_exits(world: World) -> None:
    program, *_ = live_program(world)
    Program.objects.filter(pk=program.pk).update(
        launched_at=timezone.now() - dt.timedelta(days=program.reminder_days + 1)
    )
    with override_settings(TASKS=DB_TASKS):
        from lockstep.core.tasks import send_email

        send_email.enqueue(["a@b.example"], "Queued before", "Body")
        call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())
    subjects = [m.subject for m in mail.outbox]
    assert "Queued before" in subjects
    # Neither rep confirmed the brief: the batch's periodic jobs reminded both, by e-mail
    # too (the e-mail tasks they queued ran in the same batch).
    assert Notification.objects.filter(kind="reminder.brief").count() == 2
    assert sum(s.startswith("Reminder: read the brief") for s in subjects) == 2
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    assert not WorkerHeartbeat.objects.exists()  # a stopped worker leaves no heartbeat
