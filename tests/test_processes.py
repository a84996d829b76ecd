"""`lockstep serve`, `worker` and `demo` as real processes: each stops everything it started
on SIGTERM or SIGINT, within its bound, finishing what is in flight; nothing is left running
and the port closes. The demo runs as a deployment would (debug off)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.procs import (
    CSRF,
    ROOT,
    Site,
    alive,
    children_of,
    demo_copy,  # noqa: F401 — fixtures
    demo_site,  # noqa: F401
    free_port,
    http,
    migrated_site,  # noqa: F401
    ops_base,  # noqa: F401
    port_open,
    serving,
    sqlite_demo_site,  # noqa: F401
    wait_for,
)

STOP_BOUND = 8 + 4  # LOCKSTEP_STOP_TIMEOUT in the tests' sites, plus exit and reaping


@pytest.fixture
def migrated(migrated_site: Site) -> Site:  # noqa: F811
    return migrated_site


def wait_serving(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    def up() -> bool:
        assert process.poll() is None, "the server exited while starting"
        return serving(port)

    wait_for(up, timeout, interval=0.1, what=f"port {port} to serve /healthz")


def stop(
    process: subprocess.Popen[bytes], family: list[int], port: int | None, signum: int
) -> float:
    """Send `signum`, wait for the process, check no descendant is left and the port is
    closed; returns the seconds it took."""
    started = time.monotonic()
    process.send_signal(signum)
    code = process.wait(timeout=STOP_BOUND)
    elapsed = time.monotonic() - started
    assert code == 0, f"exit status {code}"
    wait_for(lambda: not any(alive(pid) for pid in family), 5, what="children to exit")
    if port is not None:
        assert not port_open(port)
    print(f"\n{signal.Signals(signum).name}: stopped in {elapsed:.2f} s")  # noqa: T201
    return elapsed


SLOW_BODY = urlencode(
    {"username": "nobody@example.com", "password": "wrong-password", "csrfmiddlewaretoken": CSRF}
).encode()


def slow_request(port: int) -> socket.socket:
    """Send a log-in POST's headers and half its body: the view waits for the rest (the
    CSRF check reads the form), so the request is in flight until the caller sends it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Cookie: csrftoken={CSRF}\r\n".encode()
        + b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(SLOW_BODY)}\r\n\r\n".encode()
        + SLOW_BODY[:20]
    )
    return sock


def test_serve_stops_everything_it_started(migrated: Site) -> None:
    """SIGTERM here; SIGINT (Ctrl+C) takes the same path in the supervisor, and is tested on
    the worker."""
    signum = signal.SIGTERM
    port = free_port()
    process = migrated.start(
        "serve", "--port", str(port), "--workers", "2", log=f"serve-{port}.log"
    )
    wait_serving(port, process)
    family = children_of(process.pid)
    assert len(family) >= 3, family  # gunicorn's arbiter and its two workers
    control = migrated.data_dir / "run" / f"gunicorn-{port}.ctl"
    assert control.exists()  # per data directory and port: two instances never share one
    status, _, headers = http(port, "/no-such-page", headers={"X-Request-ID": "probe-1234abcd"})
    assert status == 404 and headers.get("X-Request-ID") == "probe-1234abcd"
    # A request in flight when the signal comes is answered, not cut.
    sock = slow_request(port)
    time.sleep(0.3)
    result: dict[str, float] = {}
    stopper = threading.Thread(
        target=lambda: result.setdefault("s", stop(process, family, None, signum))
    )
    stopper.start()
    time.sleep(0.5)
    sock.sendall(SLOW_BODY[20:])
    answer = sock.recv(200)
    sock.close()
    stopper.join()
    assert answer.startswith(b"HTTP/1.1 "), answer
    assert not port_open(port)
    assert result["s"] < STOP_BOUND
    assert not control.exists()
    # JSON lines (LOCKSTEP_LOG_FORMAT=json): gunicorn's and Lockstep's, with request ids.
    lines = [json.loads(line) for line in migrated.log(f"serve-{port}.log").splitlines()]
    request = next(entry for entry in lines if entry["logger"] == "lockstep.request")
    assert request["request_id"] == "probe-1234abcd" and request["status"] == 404
    assert request["path"] == "/no-such-page" and request["duration_ms"] >= 0
    assert any(entry["logger"] == "gunicorn.error" for entry in lines)
    # The log-in was answered after the stop began: it was in flight, and finished.
    stopping = next(i for i, e in enumerate(lines) if e["message"].startswith("Terminated"))
    answered = next(i for i, e in enumerate(lines) if e.get("path") == "/accounts/login/")
    assert answered > stopping and lines[answered]["status"] == 200


def test_killing_serve_itself_leaves_no_orphans(migrated: Site) -> None:
    port = free_port()
    process = migrated.start("serve", "--port", str(port), "--workers", "2")
    wait_serving(port, process)
    family = children_of(process.pid)
    process.kill()  # SIGKILL: no handler runs; the children are told by the kernel
    process.wait()
    wait_for(lambda: not any(alive(pid) for pid in family), 15, what="orphans to exit")
    wait_for(lambda: not port_open(port), 5, what="the port to close")


def enqueue_slow(site: Site, marker: Path, seconds: float) -> str:
    code = (
        "from tests.ops_tasks import slow\n"
        "print(json.dumps(str(slow.enqueue(sys.argv[1], float(sys.argv[2])).id)))"
    )
    return str(site.script(code, str(marker), str(seconds)))


def task_status(site: Site, task_id: str) -> str:
    rows = site.sql(
        "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s",
        task_id if site.database else task_id.replace("-", ""),
    )
    return str(rows[0][0])


def test_worker_finishes_its_task_on_sigterm(migrated: Site) -> None:
    marker = migrated.data_dir / "finished-task"
    task_id = enqueue_slow(migrated, marker, 2.0)
    worker = migrated.start("worker", log="worker-finish.log")
    wait_for(lambda: Path(f"{marker}.started").exists(), 30, what="the task to start")
    elapsed = stop(worker, children_of(worker.pid), None, signal.SIGTERM)
    assert marker.read_text() == "done" and 1.0 < elapsed < STOP_BOUND
    assert task_status(migrated, task_id) == "SUCCESSFUL"


def test_worker_idle_stops_at_once_and_a_cut_task_resumes(migrated: Site) -> None:
    worker = migrated.start("worker", log="worker-idle.log")
    wait_for(lambda: "started" in migrated.log("worker-idle.log"), 30, what="the worker")
    assert stop(worker, children_of(worker.pid), None, signal.SIGINT) < 5
    # A task longer than the stop bound is cut at the deadline; the next worker resumes it.
    marker = migrated.data_dir / "cut-task"
    task_id = enqueue_slow(migrated, marker, 120.0)
    migrated.extra_env["LOCKSTEP_STOP_TIMEOUT"] = "2"
    try:
        worker = migrated.start("worker", log="worker-cut.log")
        wait_for(lambda: Path(f"{marker}.started").exists(), 30, what="the task to start")
        worker.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert worker.wait(timeout=10) != 0
        assert time.monotonic() - started < 8 and not marker.exists()
        assert task_status(migrated, task_id) == "RUNNING"
        again = migrated.start("worker", log="worker-resume.log")
        wait_for(lambda: marker.exists(), 30, what="the task to resume")
        assert marker.read_text() == "resumed"
        wait_for(lambda: task_status(migrated, task_id) == "SUCCESSFUL", 20)
        stop(again, children_of(again.pid), None, signal.SIGTERM)
    finally:
        migrated.extra_env.pop("LOCKSTEP_STOP_TIMEOUT")


def test_demo_serves_as_a_deployment_and_stops_cleanly(demo_copy: Site) -> None:  # noqa: F811
    port = free_port()
    process = demo_copy.start("demo", "--port", str(port), log=f"demo-{port}.log")
    wait_serving(port, process, timeout=120)
    family = children_of(process.pid)
    names = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in family}
    assert any(b"gunicorn" in c for c in names.values())
    assert any(b"worker" in c for c in names.values())
    # Links follow --port: the children were given the demo's base URL.
    for pid in family:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"LOCKSTEP_BASE_URL=http://127.0.0.1:{port}".encode() in environ
        assert b"LOCKSTEP_DEBUG=1" not in environ
    # Debug is off: a stale link gets the branded 404, never Django's technical page.
    status, body, _ = http(port, "/no/such/page/")
    assert status == 404 and "There is nothing here" in body
    assert "URLconf" not in body and "Traceback" not in body
    # Static files come from WhiteNoise.
    static = ROOT / "lockstep" / "static"
    css = next(static.rglob("*.css")).relative_to(static).as_posix()
    status, _, headers = http(port, "/static/" + css)
    assert status == 200 and "css" in headers.get("Content-Type", "")
    # The demo logins work in the demo.
    assert login(port, "rep@demo.example", "lockstep-demo") == 302
    # The worker writes its heartbeat: the demo is ready.
    wait_for(lambda: ready(port), 60, interval=0.2, what="/readyz")
    assert json.loads(http(port, "/readyz")[1])["checks"]["worker"] == "ok"
    assert stop(process, family, port, signal.SIGTERM) < STOP_BOUND
    assert "Lockstep demo" in demo_copy.log(f"demo-{port}.log")


def login(port: int, email: str, password: str) -> int:
    token = "a" * 32
    body = urlencode(
        {"username": email, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    headers = {
        "Cookie": f"csrftoken={token}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return http(port, "/accounts/login/", data=body, headers=headers)[0]


def ready(port: int) -> bool:
    try:
        return http(port, "/readyz", timeout=10)[0] == 200
    except OSError:
        return False
