"""Programs and their six-question sell-in plan.

This app owns the *plan* — everything marketing designs before launch, including the
training items, the knowledge check with its questions and the pulse schedule. What happens
after launch (completions and attempts, pulse answers and questions, leads) belongs to the
apps one floor up: enablement, feedback and results.

A program answers six questions before launch (docs/readiness.md): sell-in activities,
buy-in (sponsors, champions, preview feedback), WIIFM, the rep kit, per-team targets and
the training plan. Each answer is its own model so each section is edited on its own."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone

from lockstep.core.querysets import TenantQuerySet
from lockstep.orgs.models import AssetKind, Organization, Team


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


class IncentiveKind(models.TextChoices):
    NONE = "none", "None"
    SPIFF = "spiff", "SPIFF"
    ACCELERATOR = "accelerator", "Commission accelerator"
    QUOTA_CREDIT = "quota_credit", "Quota credit"
    OTHER = "other", "Other"


WIIFM_MAX = 280


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
    summary = models.TextField(blank=True, help_text="Markdown.")
    audience = models.ManyToManyField(Team, blank=True, related_name="programs")
    launch_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    campaign_codes = models.JSONField(default=list, blank=True)
    # WIIFM: what is in it for the salesperson.
    wiifm = models.TextField(blank=True, max_length=WIIFM_MAX)
    incentive_kind = models.CharField(
        max_length=20, choices=IncentiveKind.choices, default=IncentiveKind.NONE
    )
    incentive_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    incentive_currency = models.CharField(max_length=3, blank=True)
    proof_points = models.TextField(blank=True, help_text="Markdown.")
    # Launch below the readiness threshold, by an owner, with a reason.
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pulse_anonymous = models.BooleanField(
        default=False,
        help_text="Marketing sees only team averages of at least five answers, never names.",
    )
    sla_hours = models.PositiveSmallIntegerField(
        default=4, help_text="Business hours a rep has to first touch a new lead."
    )
    reminder_days = models.PositiveSmallIntegerField(
        default=3, help_text="Remind reps who have not confirmed the brief after this many days."
    )
    training_due_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="Required training and the knowledge check are due this many days after launch.",
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    launch_score = models.PositiveSmallIntegerField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["org", "status"], name="program_org_status"),
            models.Index(fields=["org", "launch_date"], name="program_org_launch"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(launch_date__isnull=True)
                | models.Q(end_date__gte=models.F("launch_date")),
                name="program_end_after_launch",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def incentive_value(self) -> str:
        """The incentive's amount as a rep reads it: a commission accelerator is a
        multiplier ("2× commission"), never money; the others are an amount and currency
        ("500 EUR")."""
        amount = self.incentive_amount
        if self.incentive_kind == IncentiveKind.NONE or amount is None:
            return ""
        whole = amount == amount.to_integral_value()
        if self.incentive_kind == IncentiveKind.ACCELERATOR:
            return f"{amount.to_integral_value() if whole else amount.normalize()}× commission"
        number = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
        return f"{number} {self.incentive_currency}".strip()


class ProgramChild(models.Model):
    """Base of every section row: belongs to a program (and so to its organization)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class ActivityKind(models.TextChoices):
    KICKOFF = "kickoff", "Kickoff briefing"
    CASCADE = "cascade", "Manager cascade"
    ROADSHOW = "roadshow", "Roadshow"
    PARTNER_WEBINAR = "partner_webinar", "Partner webinar"
    OTHER = "other", "Other"


class SellInActivity(ProgramChild):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    date = models.DateField()
    teams = models.ManyToManyField(Team, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date:%d %b %Y}"


class Endorsement(ProgramChild):
    """A sales leader of an audience team backs the program: pressed by the leader only."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="endorsements")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    comment = models.TextField(blank=True, max_length=1000)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "leader"], name="endorsement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.leader} endorses {self.program}"


class Champion(ProgramChild):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="champions")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "team", "user"], name="champion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} champions {self.program} in {self.team}"


class PreviewFeedback(ProgramChild):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=4000)
    response = models.TextField(blank=True, max_length=4000)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    addressed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Feedback on {self.program} by {self.author}"

    @property
    def is_open(self) -> bool:
        return self.addressed_at is None


def asset_upload_to(asset: Asset, filename: str) -> str:
    # Only the base name survives: "../../etc/passwd" becomes "passwd".
    name = PurePath(filename.replace("\\", "/")).name or "file"
    return f"orgs/{asset.org_id}/programs/{asset.program_id}/{timezone.now():%Y%m%d%H%M%S}-{name}"


class Asset(ProgramChild):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=20, choices=AssetKind.choices)
    title = models.CharField(max_length=160)
    file = models.FileField(upload_to=asset_upload_to, blank=True, max_length=300)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    url = models.URLField(blank=True, max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_on = models.DateField(null=True, blank=True)
    partner_visible = models.BooleanField(default=False)

    class Meta:
        ordering = ["kind", "title"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(file="") & ~models.Q(url=""))
                | (~models.Q(file="") & models.Q(url="")),
                name="asset_file_xor_url",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_expired(self, today: dt.date | None = None) -> bool:
        return self.expires_on is not None and self.expires_on < (today or timezone.localdate())


class TargetMetric(models.TextChoices):
    LEADS_WORKED = "leads_worked", "Leads worked"
    MEETINGS = "meetings", "Meetings"
    OPPORTUNITIES = "opportunities", "Opportunities"
    PIPELINE = "pipeline", "Pipeline value"
    WON_REVENUE = "won_revenue", "Won revenue"
    UNITS = "units", "Units"


# Metrics counted in whole units (the rest are amounts of money).
COUNT_METRICS = frozenset(
    {TargetMetric.LEADS_WORKED, TargetMetric.MEETINGS, TargetMetric.OPPORTUNITIES}
)


class TargetPeriod(models.TextChoices):
    PROGRAM = "program", "Whole program"
    MONTH = "month", "Per month"
    QUARTER = "quarter", "Per quarter"


class TargetStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the leader"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DISPUTED = "disputed", "Disputed"


class Target(ProgramChild):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="targets")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=20, choices=TargetMetric.choices)
    value = models.DecimalField(max_digits=14, decimal_places=2)
    period = models.CharField(
        max_length=10, choices=TargetPeriod.choices, default=TargetPeriod.PROGRAM
    )
    status = models.CharField(
        max_length=15, choices=TargetStatus.choices, default=TargetStatus.PENDING
    )
    leader_comment = models.TextField(blank=True, max_length=2000)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["team__name", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "team", "metric"], name="target_once_per_team_metric"
            ),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="target_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.value} {self.get_metric_display()}"


class TrainingKind(models.TextChoices):
    LIVE = "live", "Live session"
    SELF_PACED = "self_paced", "Self-paced module"


def new_ics_uid() -> str:
    return secrets.token_hex(16)


class TrainingItem(ProgramChild):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="training")
    kind = models.CharField(max_length=12, choices=TrainingKind.choices)
    title = models.CharField(max_length=160)
    starts_at = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField()
    join_url = models.URLField(blank=True, max_length=500)
    content_url = models.URLField(blank=True, max_length=500)
    content = models.TextField(blank=True, help_text="Markdown.")
    required = models.BooleanField(default=True)
    # Calendar invites: the same UID for every update, a higher SEQUENCE each time. The UID
    # is this random part @ the host of the base URL (`programs.launch.ics_uid`), so it
    # repeats neither across installations nor after a restore into another one.
    ics_uid = models.CharField(max_length=32, default=new_ics_uid, unique=True, editable=False)
    ics_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0), name="training_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ends_at(self) -> dt.datetime | None:
        if self.starts_at is None:
            return None
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


class KnowledgeCheck(ProgramChild):
    """The program's quiz: pass mark, attempts allowed and its questions (reps' attempts
    belong to enablement)."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="knowledge_check"
    )
    title = models.CharField(max_length=160, default="Knowledge check")
    pass_mark = models.PositiveSmallIntegerField(default=80)
    attempts_allowed = models.PositiveSmallIntegerField(default=3)

    def __str__(self) -> str:
        return self.title


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


class PulseRound(models.Model):
    """When reps are asked the pulse: at launch (day 0) and on the days marketing adds."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="pulse_rounds")
    day_offset = models.PositiveSmallIntegerField(help_text="Days after launch; 0 = at launch.")
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["day_offset"]
        constraints = [
            models.UniqueConstraint(fields=["program", "day_offset"], name="pulse_round_once"),
        ]

    def __str__(self) -> str:
        return "At launch" if self.day_offset == 0 else f"Day {self.day_offset}"
