"""Organizations (tenants), their teams, memberships with roles, and invitations."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from lockstep.core.permissions import SELLING_ROLES, Role
from lockstep.core.querysets import TenantQuerySet

if TYPE_CHECKING:
    from lockstep.accounts.models import User


def default_business_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday, as datetime.weekday() numbers


def default_required_asset_kinds() -> list[str]:
    return ["brief", "talk_track", "faq"]


class AssetKind(models.TextChoices):
    """The kinds of rep-kit asset; an organization setting says which every kit needs."""

    BRIEF = "brief", "Brief / one-pager"
    TALK_TRACK = "talk_track", "Talk track"
    FAQ = "faq", "FAQ & objection handling"
    BATTLECARD = "battlecard", "Battlecard"
    COLLATERAL = "collateral", "Customer-facing collateral"
    DEMO = "demo", "Demo"
    OTHER = "other", "Other"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/London).")


class Organization(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=50, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    business_day_start = models.TimeField(default=dt.time(9, 0))
    business_day_end = models.TimeField(default=dt.time(17, 0))
    business_days = models.JSONField(default=default_business_days)
    readiness_threshold = models.PositiveSmallIntegerField(default=80)
    max_training_minutes = models.PositiveIntegerField(default=60)
    required_asset_kinds = models.JSONField(default=default_required_asset_kinds)
    holidays = models.JSONField(default=list, blank=True)  # ISO dates, no business hours
    # SLA breach escalation: the rep at this share of the SLA, then their leaders.
    escalate_rep_percent = models.PositiveSmallIntegerField(default=100)
    escalate_leader_percent = models.PositiveSmallIntegerField(default=200)
    # Owners and marketers must log in with a second factor (accounts.two_factor).
    require_two_factor = models.BooleanField(default=False)
    # How to read an ambiguous date such as 03/04/2026 in imported files.
    date_order = models.CharField(
        max_length=3,
        choices=[("dmy", "Day first (31/12/2026)"), ("mdy", "Month first (12/31/2026)")],
        default="dmy",
    )
    # Loader bookkeeping and other small, rarely-read settings.
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(readiness_threshold__lte=100), name="org_threshold_max_100"
            ),
            models.CheckConstraint(
                condition=models.Q(business_day_start__lt=models.F("business_day_end")),
                name="org_business_hours_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def business_minutes_per_day(self) -> int:
        start, end = self.business_day_start, self.business_day_end
        return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


class Channel(models.TextChoices):
    DIRECT = "direct", "Direct"
    INSIDE_SALES = "inside_sales", "Inside sales"
    PARTNER = "partner", "Partner"


class Team(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.DIRECT)
    # A region's or team's own clock (APAC, EMEA, North America): empty values are inherited
    # from the nearest ancestor that sets them, else the organization's (orgs.selectors
    # .team_hours). Holidays stay the organization's.
    time_zone = models.CharField(
        max_length=64, blank=True, default="", validators=[validate_time_zone]
    )
    business_day_start = models.TimeField(null=True, blank=True)
    business_day_end = models.TimeField(null=True, blank=True)
    business_days = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("org", Lower("name"), name="team_name_unique_per_org"),
            models.CheckConstraint(
                condition=models.Q(business_day_start__isnull=True, business_day_end__isnull=True)
                | models.Q(business_day_start__lt=models.F("business_day_end")),
                name="team_business_hours_order",
            ),
        ]
        indexes = [models.Index(fields=["org", "parent"], name="team_org_parent")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    # The one team a rep or partner rep sells in.
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    # The teams a sales leader leads (their sub-teams come with them).
    led_teams = models.ManyToManyField(Team, blank=True, related_name="leaders")
    email_notifications = models.BooleanField(
        default=True, help_text="Also send notifications by e-mail (otherwise in the app only)."
    )
    # Kinds of e-mail this person turned off (`orgs.notify.MAIL_KINDS`), e.g. by a
    # one-click unsubscribe; they still get those notifications in the app.
    email_off = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "user"], name="membership_unique_user_per_org"),
        ]
        indexes = [
            models.Index(fields=["org", "role"], name="membership_org_role"),
            models.Index(fields=["org", "team"], name="membership_org_team"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.org})"

    @property
    def is_rep(self) -> bool:
        """Sells in a team (a rep or a partner rep): has a team, gets briefs and leads."""
        return self.role in SELLING_ROLES

    @property
    def is_leader(self) -> bool:
        """Leads teams (the teams are in `led_teams`)."""
        return self.role == Role.SALES_LEADER


class Invitation(models.Model):
    """A single-use, expiring invitation. Only a hash of the token is stored."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org", "email"], name="invitation_org_email")]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.org}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


def user_display(user: User | None) -> str:
    return str(user) if user else "system"
