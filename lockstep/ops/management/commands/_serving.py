"""Starting gunicorn (and the worker) for `lockstep serve` and `lockstep demo`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections

from lockstep.accounts.passwords import demo_mode, demo_password_accounts
from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.ops.demo.base import DEMO_SLUG
from lockstep.ops.processes import Supervisor
from lockstep.orgs.models import Organization

MAX_UNIX_SOCKET_PATH = 100  # sockaddr_un holds 108 bytes


def refuse_demo_passwords() -> None:
    """`lockstep serve` refuses to start while any account accepts the public demo password,
    or the demo organization exists, unless it runs in demo or debug mode (LOCKSTEP_DEMO,
    LOCKSTEP_DEBUG: never in production), where the demo password is meant to work."""
    if demo_mode():
        return
    reasons = []
    demo_org = Organization.objects.filter(slug=DEMO_SLUG).first()
    if demo_org is not None:
        reasons.append(f"the demo organization “{demo_org.name}” (/o/{DEMO_SLUG}/) exists")
    accounts = demo_password_accounts()
    if accounts:
        shown = ", ".join(accounts[:6]) + (
            f" and {len(accounts) - 6} more" if len(accounts) > 6 else ""
        )
        reasons.append(
            f"{counted(len(accounts), 'account accepts', 'accounts accept')} "
            f"the public demo password ({shown})"
        )
    if reasons:
        raise CommandError(
            "Refusing to serve: " + "; ".join(reasons) + ". Demo data is for `lockstep demo` "
            "only: serve production from a database without it (delete the demo organization "
            "and its people, or start from a fresh database)."
        )


def control_socket_args(port: int) -> list[str]:
    """gunicorn's control socket (for `gunicornc`) per data directory and port, so two
    instances never take over each other's; none if the path is too long for a socket."""
    path = settings.DATA_DIR / "run" / f"gunicorn-{port}.ctl"
    if len(str(path)) > MAX_UNIX_SOCKET_PATH:
        return ["--no-control-socket"]
    return ["--control-socket", str(path)]


def gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "lockstep.wsgi:application",
        "--config",
        "python:lockstep.ops.gunicorn_conf",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--forwarded-allow-ips",
        os.environ.get("LOCKSTEP_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        *control_socket_args(port),
    ]


def worker_command() -> list[str]:
    return [sys.executable, "-m", "lockstep.cli", "worker"]


def run_server(
    host: str, port: int, workers: int, with_worker: bool = False, env: dict[str, str] | None = None
) -> int:
    """Serve until SIGTERM/SIGINT (or a child's failure), then stop everything started;
    returns the exit status."""
    connections.close_all()  # the children open their own; keep no database handle here
    # WhiteNoise serves from the package (finders) and warns if this directory is missing.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(stop_timeout=settings.STOP_TIMEOUT)
    child_env = {**os.environ, **(env or {})}
    supervisor.spawn("gunicorn", gunicorn_command(host, port, workers), child_env)
    if with_worker:
        supervisor.spawn("worker", worker_command(), child_env)
    return supervisor.run()
