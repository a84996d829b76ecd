"""`lockstep worker`: django-tasks' database worker, plus what a long-running service needs.

- **Periodic jobs**: between tasks the worker runs the jobs of `scheduler.PERIODIC_JOBS`
  that are due (reminders, pulse rounds, SLA escalations…), one worker at a time under a
  lease (`periodic.py`). No cron needed; `lockstep remind` stays for those who prefer one.
- **Heartbeat**: a thread writes `WorkerHeartbeat.seen_at` every few seconds (also while a
  long task runs); `/readyz` reads it.
- **Recovery**: a task left *running* by a worker that died (SIGKILL, power cut) is queued
  again, and its periodic-job leases freed. On the same host a dead process is seen at once
  (pid and start time); a worker on another host is presumed dead after
  `WORKER_DEAD_AFTER` seconds of silence. Tasks are idempotent (e-mails by key, imports in
  one transaction), so running one again sends or writes nothing twice.
- **Stopping**: SIGTERM or SIGINT stops taking work, lets the running task finish for up to
  `STOP_TIMEOUT` seconds, then exits; a second signal, or the deadline, exits at once (the
  task resumes on the next start, as after a crash).
- **Logs**: one line per task with its duration, under the task's id as request id."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from lockstep.core.logs import request_context
from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.ops.models import WorkerHeartbeat
from lockstep.ops.periodic import release_leases, run_due_jobs

logger = logging.getLogger("lockstep.worker")


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat from field 3 (state) on: [] when unknown (not Linux, gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    # The command name (field 2) may hold spaces; the fields after its ")" are plain.
    return stat.rsplit(")", 1)[1].split()


def process_start(pid: int) -> int:
    """The process's start time in clock ticks since boot (Linux), 0 when unknown."""
    fields = _stat(pid)
    return int(fields[19]) if fields else 0


def process_alive(pid: int, started: int) -> bool:
    """Running, and the same process (a reused pid has another start time)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's
    fields = _stat(pid)
    if not fields:
        return True  # no /proc: the signal said it exists
    if fields[0] in ("Z", "X"):
        return False  # exited, not yet reaped by its parent
    return started == 0 or int(fields[19]) == started


def host_key() -> str:
    """This host as the heartbeat names it: the host name and the pid namespace, so two
    containers sharing a host name never judge each other's processes."""
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}/{namespace}"[:255]


def dead_workers(now: dt.datetime, *, me: str) -> list[str]:
    """Ids of workers that are certainly gone: on this host, their process is; elsewhere,
    their heartbeat is older than WORKER_DEAD_AFTER."""
    host = host_key()
    silent_since = now - dt.timedelta(seconds=settings.WORKER_DEAD_AFTER)
    dead = []
    for beat in WorkerHeartbeat.objects.exclude(worker_id=me):
        if beat.hostname == host:
            gone = beat.pid == os.getpid() or not process_alive(beat.pid, beat.process_start)
        else:
            gone = beat.seen_at < silent_since
        if gone:
            dead.append(beat.worker_id)
    return dead


def recover(me: str, backend_name: str = "default") -> int:
    """Queue again the tasks that dead workers left running; free their leases. Returns how
    many tasks were queued again."""
    now = timezone.now()
    dead = set(dead_workers(now, me=me))
    known = set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
    silent_since = now - dt.timedelta(seconds=settings.WORKER_DEAD_AFTER)
    orphans = []
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, backend_name=backend_name
    ).only("id", "worker_ids", "started_at")
    for task in running:
        owner = task.worker_ids[-1] if task.worker_ids else ""
        if owner == me:
            continue
        # A worker without a heartbeat row (one that stopped cleanly, or an older one) is
        # given as long as a silent worker before its task counts as orphaned.
        unknown_and_old = owner not in known and (
            task.started_at is None or task.started_at < silent_since
        )
        if owner in dead or unknown_and_old:
            orphans.append(task.pk)
    requeued = 0
    if orphans:
        requeued = DBTaskResult.objects.filter(
            pk__in=orphans, status=TaskResultStatus.RUNNING
        ).update(status=TaskResultStatus.READY, started_at=None)
        logger.warning(
            "queued %s again, left running by a dead worker", counted(requeued, "task", "tasks")
        )
    release_leases(sorted(dead))
    WorkerHeartbeat.objects.filter(worker_id__in=dead).delete()
    return requeued


class Heartbeat(threading.Thread):
    """Touches this worker's row every WORKER_HEARTBEAT_SECONDS, in its own connection."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name="lockstep-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def beat(self) -> None:
        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"seen_at": now},
            create_defaults={
                "hostname": host_key(),
                "pid": os.getpid(),
                "process_start": process_start(os.getpid()),
                "started_at": now,
                "seen_at": now,
            },
        )

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.WORKER_HEARTBEAT_SECONDS):
                try:
                    self.beat()
                except DatabaseError as exc:
                    # The database is busy (a long import on SQLite) or away: try again on
                    # the next beat. /readyz says so if it lasts.
                    logger.warning("heartbeat not written: %s", exc)
                    close_old_connections()
        finally:
            connection.close()


class LockstepWorker(Worker):
    def __init__(self, *, periodic: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.periodic = periodic
        self.wake = threading.Event()
        self.heartbeat = Heartbeat(self.worker_id)
        self.next_housekeeping = 0.0
        self.next_periodic = 0.0

    # --- signals ---------------------------------------------------------------------

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            logger.warning("%s again: stopping now", signal.strsignal(signum))
            os._exit(1)  # the running task is queued again on the next start
        self.running = False
        self.wake.set()
        logger.info(
            "%s: stopping%s (at most %d s)",
            signal.strsignal(signum),
            " after the running task" if self.running_task else "",
            settings.STOP_TIMEOUT,
        )
        # Bounded: whatever still runs at the deadline is cut (and resumes on restart).
        signal.signal(signal.SIGALRM, self._deadline)
        signal.alarm(max(1, settings.STOP_TIMEOUT))

    def _deadline(self, signum: int, frame: FrameType | None) -> None:
        logger.warning("the running task did not finish in time: stopping now")
        os._exit(1)

    @contextmanager
    def signals(self) -> Iterator[None]:
        """Our handlers while the worker runs (only the main thread may set them)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        names = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGALRM]
        previous = {sig: signal.getsignal(sig) for sig in names}
        for sig in names[:-1]:
            signal.signal(sig, self.shutdown)
        try:
            yield
        finally:
            signal.alarm(0)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # --- the loop --------------------------------------------------------------------

    def housekeeping(self) -> None:
        """Heartbeat row and recovery of dead workers' tasks every few seconds; one due
        periodic job at most every second (between tasks, so neither starves)."""
        now = time.monotonic()
        if now >= self.next_housekeeping:
            self.next_housekeeping = now + min(5.0, settings.WORKER_HEARTBEAT_SECONDS)
            self.heartbeat.beat()
            recover(self.worker_id, self.backend_name)
        if self.periodic and now >= self.next_periodic:
            self.next_periodic = now + 1.0
            self.running_task = True  # a stop waits for the job like for a task
            try:
                ran = run_due_jobs(
                    self.worker_id,
                    keep_going=lambda: self.running,
                    limit=None if self.batch else 1,
                )
            finally:
                self.running_task = False
            if ran:
                self.next_periodic = now  # maybe another is due: look again next time

    def claim(self) -> tuple[DBTaskResult[..., Any] | None, bool]:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None, False  # busy: try again shortly
            raise
        return task_result, True

    def run(self) -> None:
        try:
            # the handlers first: "started" tells a supervisor (and the tests) that a
            # signal from now on stops the worker gracefully
            with self.signals():
                if not self.batch:
                    self.heartbeat.start()
                logger.info(
                    "worker %s started (pid %d, periodic jobs %s)",
                    self.worker_id,
                    os.getpid(),
                    "on" if self.periodic else "off",
                )
                self.loop()
        finally:
            self.heartbeat.stopped.set()
            try:
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
            except DatabaseError:
                pass
            logger.info("worker %s stopped", self.worker_id)

    def loop(self) -> None:
        while self.running:
            close_old_connections()
            try:
                self.housekeeping()
                task_result, asked = self.claim()
            except DatabaseError:
                logger.exception("database error in the worker loop; retrying")
                close_old_connections()
                self.wake.wait(max(self.interval, 1.0))
                continue
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch and asked:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                self.wake.wait(self.interval)

    def run_task(self, db_task_result: DBTaskResult[..., Any]) -> None:
        started = time.perf_counter()
        with request_context(f"task-{db_task_result.pk}"):
            super().run_task(db_task_result)
            logger.info(
                "task %s done",
                db_task_result.task_path,
                extra={
                    "task_id": str(db_task_result.pk),
                    "task": db_task_result.task_path,
                    "status": db_task_result.status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


def make_worker(*, batch: bool, periodic: bool, interval: float = 1.0) -> LockstepWorker:
    return LockstepWorker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}",
        excluded_queue_names=[],
        periodic=periodic,
    )


def run_worker(*, batch: bool, periodic: bool, interval: float = 1.0) -> None:
    make_worker(batch=batch, periodic=periodic, interval=interval).run()
    sys.stdout.flush()
