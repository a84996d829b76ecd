from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lockstep.ops.demo.base import DEMO_LOGINS, DEMO_PASSWORD
from lockstep.ops.demo.loader import load_demo
from lockstep.ops.management.commands._serving import run_server


class Command(BaseCommand):
    help = (
        "Migrate, load the demo organization once, print the logins and serve the app with "
        "a worker (debug off, as in production). SIGTERM or Ctrl+C stops both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Load the data, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEMO or settings.DEBUG):
            raise CommandError(
                "The demo runs in demo or debug mode only: run it as `lockstep demo`."
            )
        url = f"http://127.0.0.1:{options['port']}"
        # Links in e-mails and notifications follow --port, unless a base URL was set.
        base_url = os.environ.get("LOCKSTEP_BASE_URL", "").strip() or url
        call_command("migrate", interactive=False, verbosity=0)
        org = load_demo(self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"\nLockstep demo: {org.name} at {url}/o/{org.slug}/"))
        self.stdout.write(f"Every login below uses the password “{DEMO_PASSWORD}”:")
        for email, label in DEMO_LOGINS:
            self.stdout.write(f"  {label:<13} {email}")
        if options["no_serve"]:
            return
        self.stdout.write("\nServing with a background worker (Ctrl+C to stop)…\n")
        self.stdout.flush()
        status = run_server(
            "127.0.0.1",
            options["port"],
            workers=2,
            with_worker=True,
            env={"LOCKSTEP_BASE_URL": base_url},
        )
        if status:
            raise SystemExit(status)
