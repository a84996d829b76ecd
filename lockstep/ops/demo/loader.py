"""The demo data set: a list of named steps, each applied once per installation.

Later modules append their own steps (programs, activity, leads); `lockstep demo` runs
the steps that have not yet been applied, in order, and records each one on the demo
organization so a restart never loads anything twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.test.utils import override_settings

from lockstep.accounts.models import User
from lockstep.ops.demo.activity import load_activity
from lockstep.ops.demo.base import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SLUG
from lockstep.ops.demo.insights import load_insights
from lockstep.ops.demo.leads import load_leads
from lockstep.ops.demo.people import load_people
from lockstep.ops.demo.programs import load_programs
from lockstep.ops.scheduler import send_all
from lockstep.orgs.models import Organization


@dataclass(frozen=True)
class DemoStep:
    name: str
    run: Callable[[Organization | None], Organization]


def demo_steps() -> list[DemoStep]:
    return [
        DemoStep("people", load_people),
        DemoStep("programs", load_programs),
        DemoStep("activity", load_activity),
        DemoStep("leads", load_leads),
        DemoStep("insights", load_insights),
        DemoStep("notifications", load_notifications),
    ]


def load_notifications(org: Organization | None) -> Organization:
    """What the scheduler sent while the demo's history happened (pulse rounds, reminders,
    SLA escalations), in the app only: loading queues no e-mail, so the demo's worker does
    not start by printing a thousand e-mails. Only when the demo organization is alone in
    the database; elsewhere the worker sends them, e-mails included."""
    if org is None:
        raise RuntimeError("the demo's people come first")
    if not Organization.objects.exclude(pk=org.pk).exists():
        send_all()
    return org


# The demo's history happened "before": loading it queues no e-mail for the worker.
QUIET_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def load_demo(
    stdout_write: Callable[[str], None] = print, until: str | None = None
) -> Organization:
    """Apply the steps not yet applied; `until` stops after the named step (tests)."""
    with override_settings(TASKS=QUIET_TASKS):
        return _load(stdout_write, until)


def _load(stdout_write: Callable[[str], None], until: str | None) -> Organization:
    org = Organization.objects.filter(slug=DEMO_SLUG).first()
    steps = demo_steps()
    if until is not None:
        steps = steps[: [s.name for s in steps].index(until) + 1]
    for step in steps:
        done = org.extra.get("demo_steps", []) if org else []
        if step.name in done:
            continue
        with transaction.atomic():
            org = step.run(org)
            org.extra = {**org.extra, "demo_steps": [*done, step.name]}
            org.save(update_fields=["extra"])
        stdout_write(f"Loaded demo data: {step.name}")
    if org is None:
        raise RuntimeError("the demo has no steps")
    return org


def demo_passwords_in_use() -> list[str]:
    """The demo logins that still accept the public demo password."""
    emails = [email for email, _ in DEMO_LOGINS]
    return [
        u.email for u in User.objects.filter(email__in=emails) if u.check_password(DEMO_PASSWORD)
    ]
