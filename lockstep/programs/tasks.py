"""Background work for programs, queued on commit by the services."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from lockstep.programs import launch
from lockstep.programs.models import Program


@task()
def announce_launch(program_id: int) -> int:
    """The launch fan-out: brief e-mails and notifications to every rep, leader summaries,
    session invites. Safe to retry: every message has a key."""
    program = Program.objects.select_related("org").filter(pk=program_id).first()
    if program is None:
        return 0
    return launch.announce(program)


@task()
def send_session_invites(snapshot: dict[str, Any], method: str, update: bool = False) -> int:
    """A session's invite (REQUEST), its new version (REQUEST, `update`) or its
    cancellation (CANCEL), to every audience rep."""
    return launch.send_invites(snapshot, method=method, update=update)
