from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.ops.scheduler import send_all


class Command(BaseCommand):
    help = (
        "Send what is due: brief, training and check reminders, pulse rounds, SLA breach "
        "escalations. Safe to rerun: nothing is sent twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_all()
        self.stdout.write(f"{counted(sent, 'reminder', 'reminders')} sent.")
