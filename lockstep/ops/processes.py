"""A small supervisor for `lockstep serve` and `lockstep demo`: it starts gunicorn (and, for
the demo, the worker) and stops them all together.

- SIGTERM, SIGINT (Ctrl+C) or SIGHUP: each child gets SIGTERM, the graceful stop (gunicorn
  finishes in-flight requests, the worker its running task); whatever still runs after
  `STOP_TIMEOUT` seconds is killed, with its whole process group.
- A child that exits on its own (gunicorn could not bind its port…) stops the others, and
  the supervisor exits non-zero so systemd or the container runtime restarts it.
- Each child runs in its own process group (a terminal's Ctrl+C reaches only the supervisor,
  which turns it into a graceful stop) and, on Linux, receives SIGTERM if the supervisor
  itself is killed (`PR_SET_PDEATHSIG`), so not even a SIGKILL leaves orphans serving."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

logger = logging.getLogger("lockstep.processes")

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _die_with(parent: int) -> Callable[[], None]:
    def preexec() -> None:  # runs in the child between fork and exec
        if sys.platform.startswith("linux"):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        """The child and everything it started (gunicorn's workers share its group)."""
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


@dataclass
class Supervisor:
    stop_timeout: float
    children: list[Child] = field(default_factory=list)
    stop_signal: int | None = None

    def spawn(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        process = subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
            list(argv),
            env=env,
            process_group=0,
            preexec_fn=_die_with(os.getpid()),  # noqa: PLW1509 — single-threaded here
        )
        self.children.append(Child(name, process))
        logger.info("started %s (pid %d)", name, process.pid)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stop_signal is None:
            self.stop_signal = signum
        else:  # a second Ctrl+C: do not wait any longer
            self.stop_timeout = 0

    def run(self) -> int:
        """Wait until a stop signal or a child's exit, then stop everything. Returns the
        exit status: 0 after a requested stop, 1 when a child failed."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        failed: Child | None = None
        try:
            while self.stop_signal is None and failed is None:
                failed = next((c for c in self.children if not c.alive()), None)
                time.sleep(0.1)
            if failed is not None:
                logger.error(
                    "%s exited (status %s): stopping the rest",
                    failed.name,
                    failed.process.returncode,
                )
            else:
                logger.info(
                    "%s: stopping %s (at most %.0f s)",
                    signal.strsignal(self.stop_signal or signal.SIGTERM),
                    ", ".join(c.name for c in self.children),
                    self.stop_timeout,
                )
            self.stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 1 if failed is not None else 0

    def stop_all(self) -> None:
        started = time.monotonic()
        for child in self.children:
            if child.alive():
                child.process.send_signal(signal.SIGTERM)
        while any(c.alive() for c in self.children):
            if time.monotonic() - started >= self.stop_timeout:
                for child in self.children:
                    if child.alive():
                        logger.warning("%s did not stop in time: killed", child.name)
                break
            time.sleep(0.05)
        for child in self.children:
            child.signal_group(signal.SIGKILL)  # stragglers of a group, if any
            child.process.wait()
        logger.info("stopped in %.1f s", time.monotonic() - started)
