"""What reps do with the training plan: completions, knowledge-check attempts and
certifications (the plan itself — training items, the check and its questions — belongs to
programs)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lockstep.core.querysets import TenantQuerySet
from lockstep.orgs.models import Organization
from lockstep.programs.models import KnowledgeCheck, Program, TrainingItem


class CompletionSource(models.TextChoices):
    SELF = "self", "Completed by the rep"
    ATTENDED = "attended", "Attendance marked"
    IMPORT = "import", "Attendance imported"


class TrainingCompletion(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(TrainingItem, on_delete=models.CASCADE, related_name="completions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=CompletionSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="completion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} completed {self.item}"


class CheckAttempt(models.Model):
    """One go at a knowledge check. The order of questions and choices is drawn when the
    attempt starts; answers are scored on the server when it is submitted."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    knowledge_check = models.ForeignKey(
        KnowledgeCheck, on_delete=models.CASCADE, related_name="attempts"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()
    order = models.JSONField(default=dict)  # {"questions": [id…], "choices": {qid: [id…]}}
    answers = models.JSONField(default=dict)  # {qid: [choice id…]}
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)  # percent
    passed = models.BooleanField(null=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["knowledge_check", "user", "number"], name="attempt_number_once"
            ),
        ]
        indexes = [models.Index(fields=["knowledge_check", "user"], name="attempt_check_user")]

    def __str__(self) -> str:
        return f"Attempt {self.number} by {self.user}"


class Certification(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="certifications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    certified_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="certification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} certified for {self.program}"
