"""What insights keeps besides reading the activity-event table: results computed once and
stored (objection themes, a closed program's retrospective) and the weekly digest's
subscriptions.

Stored results are *derived* data: each can be recomputed from the tables below insights at
any time (`services.refresh_themes`, `services.refresh_retrospective`). Only the lessons of a
retrospective and a digest subscription are written by people."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lockstep.core.querysets import TenantQuerySet
from lockstep.orgs.models import Membership, Organization
from lockstep.programs.models import Program


class ThemeRun(models.Model):
    """The latest grouping of a program's free text into themes (`insights.themes`)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="theme_run")
    computed_at = models.DateTimeField(default=timezone.now)
    # A hash of the texts grouped: the periodic refresh regroups only when it changes.
    fingerprint = models.CharField(max_length=64, blank=True)
    text_count = models.PositiveIntegerField(default=0)
    unthemed = models.PositiveIntegerField(default=0)  # texts that fit no theme
    themes = models.JSONField(default=list, blank=True)
    team_names = models.JSONField(default=dict, blank=True)  # team id → name, at the time

    objects = TenantQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Themes of {self.program}"


class Retrospective(models.Model):
    """A closed program's retrospective: its numbers, computed once (`data`, see
    `insights.retrospective`), and the lessons people write about it."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="retrospective")
    version = models.PositiveSmallIntegerField(default=0)  # of the computation; 0 = not yet
    computed_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    lessons = models.TextField(blank=True, max_length=20000, help_text="Markdown.")
    lessons_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lessons_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Retrospective of {self.program}"


class DigestSubscription(models.Model):
    """A member's choice about the weekly digest. Without a row, sales leaders get it and
    marketers do not (they opt in)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="digest_subscription"
    )
    subscribed = models.BooleanField()
    changed_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    def __str__(self) -> str:
        state = "subscribed to" if self.subscribed else "unsubscribed from"
        return f"{self.membership.user} {state} the weekly digest"


class DigestIssue(models.Model):
    """A weekly digest as it was sent to one member: the digest page shows the latest
    without measuring every live program again."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="digest_issues"
    )
    week = models.DateField(help_text="The Monday of the week it was sent for.")
    subject = models.CharField(max_length=300)
    body_html = models.TextField()  # rendered by insights/_digest_body.html (escaped)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-week"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "week"], name="digest_issue_once"),
        ]

    def __str__(self) -> str:
        return self.subject
