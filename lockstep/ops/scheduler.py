"""What is sent on a schedule: reminders for reps who have not read the brief, trained or
passed the check in time, pulse rounds as they open, SLA escalations.

`PERIODIC_JOBS` is the registry: `lockstep worker` runs each job when it is due (one worker
at a time, under a lease: `ops/periodic.py`), `lockstep remind` (cron) runs them all at once.
Every item a job sends has a key per program and person (or lead), so running a job again,
or two workers racing, sends nothing twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.enablement.models import CheckAttempt, TrainingCompletion
from lockstep.feedback.models import PulseResponse
from lockstep.insights.digest import send_weekly_digests
from lockstep.insights.services import refresh_insights
from lockstep.orgs.notify import notify
from lockstep.programs.models import Program, ProgramStatus
from lockstep.programs.selectors import audience_reps, current_round, has_real_check
from lockstep.results.services import escalate_breaches
from lockstep.webhooks.services import deliver_due


def due_reminders(program: Program, now: dt.datetime) -> list[tuple[str, User, str]]:
    """(kind, user, title) for every reminder due now in this program."""
    if program.launched_at is None:
        return []
    reps = audience_reps(program).select_related("user")
    due: list[tuple[str, User, str]] = []
    if now >= program.launched_at + dt.timedelta(days=program.reminder_days):
        acknowledged = ActivityEvent.objects.filter(
            program=program, actor=OuterRef("user"), verb=Verb.BRIEF_ACKNOWLEDGED
        )
        for rep in reps.exclude(Exists(acknowledged)):
            due.append(("brief", rep.user, f"Reminder: read the brief for {program.name}"))
    if now >= program.launched_at + dt.timedelta(days=program.training_due_days):
        required = list(program.training.filter(required=True).values_list("id", flat=True))
        if required:
            for rep in reps:
                done = TrainingCompletion.objects.filter(
                    user=rep.user, item_id__in=required
                ).count()
                if done < len(required):
                    due.append(("training", rep.user, f"Training due: {program.name}"))
        if has_real_check(program):
            passed = CheckAttempt.objects.filter(
                knowledge_check__program=program, user=OuterRef("user"), passed=True
            )
            for rep in reps.exclude(Exists(passed)):
                due.append(("check", rep.user, f"Knowledge check due: {program.name}"))
    return due


BODIES = {
    "brief": "You have not confirmed the brief yet. It takes five minutes.",
    "training": "Some required training is not done yet, and it is now due.",
    "check": "You have not passed the knowledge check yet, and it is now due.",
}


def open_pulse_rounds(program: Program, now: dt.datetime) -> int:
    """Tell each rep once when a pulse round opens (at launch, then on its chosen day)."""
    pulse_round = current_round(program, today=timezone.localdate(now, program.org.tzinfo))
    if pulse_round is None:
        return 0
    answered = PulseResponse.objects.filter(round=pulse_round, user=OuterRef("user"))
    url = reverse("briefs:brief", args=[program.org.slug, program.pk]) + "#pulse"
    sent = 0
    for rep in audience_reps(program).exclude(Exists(answered)).select_related("user"):
        note = notify(
            org=program.org, user=rep.user, kind="pulse.opened",
            title=f"Quick pulse: how is {program.name} going for you?",
            body="Three taps, ten seconds: it tells marketing what to fix.",
            url=url, key=f"pulse:{pulse_round.pk}",
        )  # fmt: skip
        sent += note is not None
    return sent


def live_programs() -> list[Program]:
    return list(Program.objects.filter(status=ProgramStatus.LIVE).select_related("org"))


def open_all_pulse_rounds(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return sum(open_pulse_rounds(program, now) for program in live_programs())


def send_program_reminders(now: dt.datetime | None = None) -> int:
    """Brief, training and check reminders that are due, in every live program."""
    now = now or timezone.now()
    sent = 0
    for program in live_programs():
        url = reverse("briefs:brief", args=[program.org.slug, program.pk])
        for kind, user, title in due_reminders(program, now):
            note = notify(
                org=program.org, user=user, kind=f"reminder.{kind}",
                title=title, body=BODIES[kind], url=url, key=f"remind-{kind}:{program.pk}",
            )  # fmt: skip
            sent += note is not None
    return sent


def send_reminders(now: dt.datetime | None = None) -> int:
    """Pulse rounds that opened and the reminders that are due."""
    now = now or timezone.now()
    return open_all_pulse_rounds(now) + send_program_reminders(now)


@dataclass(frozen=True)
class PeriodicJob:
    """A job the worker runs every `every`; `run(now)` returns how many items it sent."""

    name: str
    every: dt.timedelta
    run: Callable[[dt.datetime | None], int]


# The registry. A new periodic job is one line here (its items need keys, so a rerun
# sends nothing twice); docs/operations.md lists them.
PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("pulse-rounds", dt.timedelta(minutes=15), open_all_pulse_rounds),
    PeriodicJob("reminders", dt.timedelta(minutes=15), send_program_reminders),
    PeriodicJob("sla-escalations", dt.timedelta(minutes=5), escalate_breaches),
    PeriodicJob("webhooks", dt.timedelta(minutes=1), deliver_due),  # new events and retries
    # Monday 07:00 in each organization's time zone; keyed per person and week
    PeriodicJob("weekly-digest", dt.timedelta(minutes=15), send_weekly_digests),
    # retrospectives of closed programs, objection themes whose texts changed
    PeriodicJob("insights", dt.timedelta(hours=1), refresh_insights),
]


def send_all(now: dt.datetime | None = None) -> int:
    """Everything `lockstep remind` sends: every periodic job, now."""
    now = now or timezone.now()
    return sum(job.run(now) for job in PERIODIC_JOBS)
