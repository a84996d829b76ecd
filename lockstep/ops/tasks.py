from __future__ import annotations

from django_tasks import task

from lockstep.ops.scheduler import send_all


@task()
def send_reminders_task() -> int:
    return send_all()
