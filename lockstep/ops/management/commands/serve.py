from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lockstep.ops.management.commands._serving import refuse_demo_passwords, run_server


class Command(BaseCommand):
    help = (
        "Serve Lockstep with gunicorn (put a TLS reverse proxy in front of it). SIGTERM or "
        "Ctrl+C stops it gracefully."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("LOCKSTEP_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("LOCKSTEP_PORT", "8000"))
        )
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("LOCKSTEP_WORKERS", "3"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_demo_passwords()
        status = run_server(options["host"], options["port"], options["workers"])
        if status:
            raise SystemExit(status)
