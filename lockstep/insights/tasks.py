"""Background work for insights, queued on commit by its services."""

from __future__ import annotations

from django_tasks import task

from lockstep.programs.models import Program


@task()
def group_program_themes(program_id: int) -> int:
    """Group a program's free text into objection themes and store them (nothing to do
    when the texts have not changed). Returns the number of themes."""
    from lockstep.insights.services import refresh_themes  # services queue this task

    program = Program.objects.select_related("org").filter(pk=program_id).first()
    if program is None:
        return 0
    return len(refresh_themes(program=program).themes)
