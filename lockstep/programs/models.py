"""Programs. This release holds the program's identity and lifecycle state, which the
activity-event table refers to; the six-question sell-in plan builds on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lockstep.orgs.models import Organization, TenantQuerySet


class AssetKind(models.TextChoices):
    BRIEF = "brief", "Brief / one-pager"
    TALK_TRACK = "talk_track", "Talk track"
    FAQ = "faq", "FAQ & objection handling"
    BATTLECARD = "battlecard", "Battlecard"
    COLLATERAL = "collateral", "Customer-facing collateral"
    DEMO = "demo", "Demo"
    OTHER = "other", "Other"


class ProgramKind(models.TextChoices):
    PRODUCT_LAUNCH = "product_launch", "Product launch"
    CAMPAIGN = "campaign", "Campaign"
    LEAD_GENERATION = "lead_generation", "Lead-generation program"
    PRODUCT_TRAINING = "product_training", "Product training"
    PRICING_CHANGE = "pricing_change", "Pricing or promotion change"


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PREVIEW = "preview", "Preview"
    READY = "ready", "Ready"
    LIVE = "live", "Live"
    CLOSED = "closed", "Closed"


class Program(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="programs")
    name = models.CharField(max_length=160)
    kind = models.CharField(
        max_length=30, choices=ProgramKind.choices, default=ProgramKind.PRODUCT_LAUNCH
    )
    status = models.CharField(
        max_length=10, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org", "status"], name="program_org_status")]

    def __str__(self) -> str:
        return self.name
