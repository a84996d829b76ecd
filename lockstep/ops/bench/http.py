"""Pages under load: `lockstep serve` as deployed (gunicorn, debug off) on 127.0.0.1 with
the bench database, a signed-in member's session cookie, and wrk (Debian's) for the
requests per second and the latency percentiles."""

from __future__ import annotations

import http.client
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import IO

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connections

from lockstep.accounts.models import User

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("LOCKSTEP-WRK %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""
LONGEST = 120  # seconds of wrk for the slowest pages
RESULT = re.compile(r"LOCKSTEP-WRK (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)")


class HttpBenchError(Exception):
    pass


@dataclass(frozen=True)
class Load:
    """One page under wrk."""

    seconds: int  # how long wrk ran
    requests: int
    per_second: float
    p50_ms: float
    p95_ms: float
    failed: int  # non-2xx/3xx answers, timeouts and socket errors


def session_cookie(user: User) -> str:
    """A signed-in session for this person, written where the server reads sessions."""
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`lockstep serve` in its own process group, stopped (and waited for) on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "LOCKSTEP_BENCH": "1", "DJANGO_SETTINGS_MODULE": "lockstep.settings"}
        env.pop("LOCKSTEP_DEBUG", None)
        env.pop("LOCKSTEP_DEMO", None)
        connections.close_all()  # the server's processes open their own
        self.log = self.log_path.open("wb")
        command = [
            sys.executable,
            "-m",
            "lockstep.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.process = subprocess.Popen(  # noqa: S603 — our own command
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HttpBenchError(f"lockstep serve stopped: see {self.log_path}")
            try:
                if self.status("/healthz") == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise HttpBenchError(f"lockstep serve did not answer in 60 s: see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the supervisor stops gunicorn gracefully
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group this bench started
                process.wait(timeout=10)
        if self.log is not None:
            self.log.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def status(self, path: str, cookie: str = "") -> int:
        """The answer's status, redirects not followed."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            response.read()
            return int(response.status)
        finally:
            conn.close()


def wrk_path() -> str:
    found = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if found is None:
        raise HttpBenchError("wrk is not installed (Debian: apt-get install wrk)")
    return found


def load(
    server: Server, path: str, cookie: str, *, seconds: int, connections: int = 8, threads: int = 2
) -> Load:
    """wrk against one page: requests per second, p50 and p95. A page slower than the
    run's length gets a longer run (up to LONGEST seconds), so that its figures rest on
    finished requests: wrk counts only those."""
    started = time.perf_counter()
    status = server.status(path, cookie)
    if status != 200:
        raise HttpBenchError(f"GET {path} answered {status}, not 200: see {server.log_path}")
    alone = time.perf_counter() - started
    seconds = min(LONGEST, max(seconds, math.ceil(alone * connections * 2)))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = [
            wrk_path(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "60s",
            "-s",
            script.name,
            "-H",
            f"Cookie: {cookie}",
            server.url(path),
        ]
        done = subprocess.run(  # noqa: S603 — wrk with our arguments
            command, capture_output=True, text=True, timeout=seconds + 120, check=False
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    found = RESULT.search(done.stdout)
    if done.returncode or found is None:
        raise HttpBenchError(f"wrk failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    requests, duration, p50, p95, status_errors, socket_errors = map(int, found.groups())
    return Load(
        seconds=seconds,
        requests=requests,
        per_second=round(requests / (duration / 1e6), 1) if duration else 0.0,
        p50_ms=round(p50 / 1000, 1),
        p95_ms=round(p95 / 1000, 1),
        failed=status_errors + socket_errors,
    )
