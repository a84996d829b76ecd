"""Starting gunicorn (and the worker) for `lockstep serve` and `lockstep demo`."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import CommandError

from lockstep.ops.demo.loader import demo_passwords_in_use


def refuse_demo_passwords() -> None:
    if settings.DEBUG:
        return
    in_use = demo_passwords_in_use()
    if in_use:
        raise CommandError(
            "Refusing to serve: the demo logins (" + ", ".join(in_use) + ") still use the "
            "public demo password and debug mode is off. Run `lockstep demo` for a demo, or "
            "remove those users / change their passwords for production."
        )


def gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "lockstep.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        os.environ.get("LOCKSTEP_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]


def run_server(host: str, port: int, workers: int, with_worker: bool = False) -> None:
    """Run gunicorn in the foreground; optionally a task worker beside it."""
    worker = None
    if with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "lockstep.cli", "worker"])
    try:
        subprocess.run(gunicorn_command(host, port, workers), check=False)
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)
