"""Training completion, knowledge-check questions and attempts, certifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lockstep.orgs.models import Organization, TenantQuerySet
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


class QuestionKind(models.TextChoices):
    SINGLE = "single", "One answer"
    MULTIPLE = "multiple", "Several answers"


class CheckQuestion(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    knowledge_check = models.ForeignKey(
        KnowledgeCheck, on_delete=models.CASCADE, related_name="questions"
    )
    text = models.TextField(max_length=1000)
    kind = models.CharField(
        max_length=10, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    explanation = models.TextField(blank=True, max_length=2000)
    position = models.PositiveIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class CheckChoice(models.Model):
    question = models.ForeignKey(CheckQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=300)
    correct = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


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
