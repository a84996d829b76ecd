"""The two append-only tables every feature writes to: the audit log and activity events."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from lockstep.core.querysets import TenantQuerySet


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyModel(models.Model):
    """Rows are written once. Updates and deletes through the model are refused."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


class AuditLog(AppendOnlyModel):
    """Who changed what, when: written by services, read by owners."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="audit_log")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=60)  # e.g. "team.created", "member.role_changed"
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {"field": [before, after]}
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "-created_at"], name="audit_org_time"),
            models.Index(fields=["org", "object_type", "object_id"], name="audit_org_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class ActivityEvent(AppendOnlyModel):
    """One thing a person did that a measurement counts (brief.opened, lead.touched, …).

    Every funnel stage and score is an aggregate over this table (and rollups built
    from it), so rows are never edited and carry the program and actor directly."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity_events",
    )
    verb = models.CharField(max_length=40)
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # Funnel: "which reps of this program did <verb>", and when.
            models.Index(fields=["program", "verb", "actor"], name="event_program_verb_actor"),
            models.Index(fields=["org", "verb", "occurred_at"], name="event_org_verb_time"),
            models.Index(fields=["org", "actor", "occurred_at"], name="event_org_actor_time"),
            models.Index(fields=["object_type", "object_id"], name="event_object"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} by {self.actor_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """An in-app notification; e-mail copies depend on the person's preference."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)  # e.g. "question.answered", "program.launched"
    key = models.CharField(max_length=200)  # the same key is never notified twice
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "org", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_key_once"),
        ]

    def __str__(self) -> str:
        return self.title


class SentMessage(models.Model):
    """One row per message sent: a retried task finds its key here and sends nothing."""

    key = models.CharField(max_length=200, unique=True)
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class ImportJob(models.Model):
    """A file uploaded in the browser, imported by the worker with progress and a report."""

    class Status(models.TextChoices):
        MAPPING = "mapping", "Waiting for the column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20)  # leads | opportunities
    preset = models.CharField(max_length=20, default="generic")
    mapping = models.JSONField(default=dict, blank=True)  # column label → field
    partial = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MAPPING)
    rows_checked = models.PositiveIntegerField(default=0)
    bytes_checked = models.PositiveBigIntegerField(default=0)
    # The write pass: "checking" (reading and checking rows), then "writing" (share 0-100).
    phase = models.CharField(max_length=10, default="checking")
    write_share = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # last progress seen
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.original_name}"

    CHECKING_SHARE = 70  # of the bar; writing is the rest

    @property
    def percent(self) -> int:
        """One bar for both passes: checking the rows, then writing them."""
        if self.status == self.Status.DONE:
            return 100
        if self.phase == "writing":
            rest = 100 - self.CHECKING_SHARE
            return min(99, self.CHECKING_SHARE + rest * self.write_share // 100)
        checked = self.bytes_checked / self.size if self.size else 0
        return min(self.CHECKING_SHARE, int(self.CHECKING_SHARE * checked))


class DataVersion(models.Model):
    """One row: a number that grows after every committed write to the data the figures
    are computed from (`core.snapshots`). Computed figures are kept under it, so a page reads
    them again only after something changed. `epoch` is drawn when the row is created: a
    restored or recreated database never meets figures kept for another one."""

    n = models.BigIntegerField(default=0)
    epoch = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"data version {self.n} ({self.epoch})"
