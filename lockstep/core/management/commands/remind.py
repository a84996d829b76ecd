from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lockstep.programs.reminders import send_reminders


class Command(BaseCommand):
    help = "Send the reminders that are due (brief, training, knowledge check). Safe to rerun."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_reminders()
        self.stdout.write(f"{sent} reminder(s) sent.")
