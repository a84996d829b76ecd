"""Leads and opportunities from the CRM, and the reasons sales rejects leads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lockstep.core.querysets import TenantQuerySet
from lockstep.orgs.models import Organization
from lockstep.programs.models import Program

DEFAULT_REJECTION_REASONS = [
    ("not_a_fit", "Not a fit"),
    ("no_budget", "No budget"),
    ("bad_timing", "Bad timing"),
    ("wrong_contact", "Wrong contact"),
    ("duplicate", "Duplicate"),
    ("in_pipeline", "Already in pipeline"),
    ("other", "Other"),
]


class RejectionReason(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=80)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["org", "code"], name="rejection_reason_code_once"),
        ]

    def __str__(self) -> str:
        return self.label


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    WORKING = "working", "Working"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    CONVERTED = "converted", "Converted"


class Lead(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    campaign = models.CharField(max_length=200, blank=True)  # as the CRM named it
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.CharField(max_length=200, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    source = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=LeadStatus.choices, default=LeadStatus.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    # Set when the lead is written, so SLA metrics are plain aggregates.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    first_touch_seconds = models.PositiveIntegerField(null=True, blank=True)  # business time
    rejection_reason = models.ForeignKey(
        RejectionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_comment = models.TextField(blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "external_id"], name="lead_external_id_once"),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | models.Q(rejection_reason__isnull=False),
                name="lead_rejected_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "program", "rep"], name="lead_program_rep"),
            models.Index(fields=["org", "rep", "status"], name="lead_rep_status"),
        ]

    def __str__(self) -> str:
        return f"{self.company or self.contact_name or self.external_id}"


class Outcome(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Opportunity(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    campaign = models.CharField(max_length=200, blank=True)
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.CharField(max_length=100, blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    close_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=5, choices=Outcome.choices, default=Outcome.OPEN)
    imported_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "external_id"], name="opportunity_external_id_once"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="opportunity_amount_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["org", "program", "owner"], name="opp_program_owner")]

    def __str__(self) -> str:
        return self.name or self.external_id


class TouchKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"


class LeadTouch(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touches")
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=TouchKind.choices)
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["lead", "kind"], name="touch_lead_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.lead}"
