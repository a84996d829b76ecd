from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The top floor: what orchestrates every domain (demo loader, commands, scheduler,
    worker, backups)."""

    name = "lockstep.ops"
    label = "ops"
    verbose_name = "Lockstep operations"

    def ready(self) -> None:
        # Observability only (no workflow hangs on a signal): a line when a task is queued,
        # under the request id of the request (or task) that queued it, names the task's
        # id, which the worker then logs under. A request can be followed into its tasks.
        from django_tasks.signals import task_enqueued

        task_enqueued.connect(log_enqueued, dispatch_uid="lockstep-log-enqueued")


def log_enqueued(sender: Any, task_result: Any, **kwargs: Any) -> None:
    from django_tasks.backends.dummy import DummyBackend

    if isinstance(sender, type) and issubclass(sender, DummyBackend):
        return  # nothing was queued (the demo's history loads with it)
    logging.getLogger("lockstep.tasks").info(
        "queued task %s",
        task_result.task.module_path,
        extra={"task_id": str(task_result.id), "task": task_result.task.module_path},
    )
