from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lockstep.ops.worker import run_worker


class Command(BaseCommand):
    help = (
        "Run the background worker: queued tasks (e-mails, launches, imports) and the "
        "periodic jobs (reminders, pulse rounds, SLA escalations). Stops cleanly on SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Run what is queued and due, then exit."
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Run queued tasks only; leave reminders and escalations to `lockstep remind`.",
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls when idle."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run_worker(
            batch=options["batch"],
            periodic=not options["no_periodic"],
            interval=max(0.05, options["interval"]),
        )
