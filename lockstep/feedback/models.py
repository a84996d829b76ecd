"""What the sales channel says after launch: pulse answers (one per rep per round; the
rounds are part of the program's plan) and the questions reps ask."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lockstep.core.querysets import TenantQuerySet
from lockstep.orgs.models import Organization, Team
from lockstep.programs.models import Program, ProgramChild, PulseRound

PULSE_STATEMENTS = {
    "understand": "I understand this program",
    "helps": "It will help me hit my number",
    "next_steps": "I know what to do next",
}
MIN_GROUP = 5  # anonymous pulses show a team only when at least this many answered


def _score_field(label: str) -> models.PositiveSmallIntegerField[int, int]:
    return models.PositiveSmallIntegerField(verbose_name=label)


class PulseResponse(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(PulseRound, on_delete=models.CASCADE, related_name="responses")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="pulse_responses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    understand = _score_field(PULSE_STATEMENTS["understand"])
    helps = _score_field(PULSE_STATEMENTS["helps"])
    next_steps = _score_field(PULSE_STATEMENTS["next_steps"])
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="pulse_one_answer_per_round"),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{f}__gte": 1, f"{f}__lte": 5}),
                    name=f"pulse_{f}_1_to_5",
                )
                for f in PULSE_STATEMENTS
            ],
        ]
        indexes = [
            models.Index(fields=["program", "user", "updated_at"], name="pulse_program_user")
        ]

    def __str__(self) -> str:
        return f"Pulse by {self.user} ({self.round})"

    @property
    def average(self) -> float:
        return float(self.understand + self.helps + self.next_steps) / 3


class RepQuestion(ProgramChild):
    """A question a rep asked from the brief; marketing answers it, maybe into the FAQ."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="questions")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # Promoted to the program's FAQ, possibly reworded for everyone.
    in_faq = models.BooleanField(default=False)
    faq_question = models.TextField(blank=True, max_length=2000)
    faq_answer = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.body[:60]
