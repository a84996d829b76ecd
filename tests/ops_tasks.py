"""Tasks the operations tests queue for a real worker process (importable from it, since
the worker runs with the project on its path)."""

from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task


@task()
def slow(marker: str, seconds: float) -> str:
    """Sleeps, then writes `marker`. If `marker.started` exists (an earlier run was cut
    short), it finishes at once: the resumed run."""
    started = Path(marker + ".started")
    resumed = started.exists()
    started.write_text("1")
    if not resumed:
        time.sleep(seconds)
    Path(marker).write_text("resumed" if resumed else "done")
    return "resumed" if resumed else "done"
