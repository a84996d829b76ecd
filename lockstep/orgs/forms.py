from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from lockstep.core.forms import limit_choices
from lockstep.core.permissions import Role
from lockstep.orgs.models import AssetKind, Channel, Invitation, Membership, Organization, Team
from lockstep.orgs.selectors import owner_count, with_descendants

TEAM_ROLES = (Role.REP, Role.PARTNER_REP, Role.SALES_LEADER)
WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class TeamChoiceField(forms.ModelChoiceField[Team]):
    def label_from_instance(self, obj: Team) -> str:
        return f"{obj.parent.name} › {obj.name}" if obj.parent else obj.name


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    parent = TeamChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="— top level —"
    )
    channel = forms.ChoiceField(choices=Channel.choices)

    def __init__(self, *args: Any, org: Organization, team: Team | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.org, self.team = org, team
        parents = Team.objects.for_org(org).select_related("parent")
        if team is not None:
            parents = parents.exclude(pk__in=with_descendants(org, [team.pk]))
        limit_choices(self, "parent", parents)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        clash = Team.objects.for_org(self.org).filter(name__iexact=name)
        if self.team is not None:
            clash = clash.exclude(pk=self.team.pk)
        if clash.exists():
            raise forms.ValidationError(f"There is already a team called “{name}”.")
        return name


def team_field(org: Organization, required: bool = False) -> TeamChoiceField:
    return TeamChoiceField(
        queryset=Team.objects.for_org(org).select_related("parent"),
        required=required,
        empty_label="— none —",
    )


def check_team_for_role(form: forms.Form, role: str | None, team: Team | None, field: str) -> None:
    if role in (Role.REP, Role.PARTNER_REP) and team is None:
        form.add_error(field, "A rep belongs to one team: pick it.")
    if role == Role.PARTNER_REP and team is not None and team.channel != Channel.PARTNER:
        form.add_error(field, "A partner rep belongs to a partner team.")
    if role == Role.REP and team is not None and team.channel == Channel.PARTNER:
        form.add_error("role", "Reps in a partner team have the role “Partner rep”.")


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REP)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["team"] = team_field(org)
        self.fields["team"].help_text = "The rep's team, or the team a sales leader leads."

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].lower()
        if Membership.objects.for_org(self.org).filter(user__email__iexact=email).exists():
            raise forms.ValidationError(f"{email} is already a member.")
        pending = [
            i for i in Invitation.objects.for_org(self.org).filter(email=email) if i.is_pending
        ]
        if pending:
            raise forms.ValidationError(f"{email} already has a pending invitation.")
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role, team = cleaned.get("role"), cleaned.get("team")
        check_team_for_role(self, role, team, "team")
        if role == Role.SALES_LEADER and team is None:
            self.add_error("team", "Pick the team this sales leader leads.")
        return cleaned


class MembershipForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    led_teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Teams led",
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.membership = membership
        org = membership.org
        self.fields["team"] = team_field(org)
        self.fields["team"].help_text = "Reps and partner reps only."
        limit_choices(self, "led_teams", Team.objects.for_org(org))
        self.fields["led_teams"].help_text = "Sales leaders only; sub-teams come with each team."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        check_team_for_role(self, role, cleaned.get("team"), "team")
        if role == Role.SALES_LEADER and not cleaned.get("led_teams"):
            self.add_error("led_teams", "A sales leader leads at least one team.")
        m = self.membership
        if m.role == Role.OWNER and role != Role.OWNER and owner_count(m.org) <= 1:
            self.add_error("role", "This is the only owner: make someone else owner first.")
        return cleaned


class OrgSettingsForm(forms.ModelForm[Organization]):
    business_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    required_asset_kinds = forms.MultipleChoiceField(
        choices=AssetKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="A program's rep kit must hold one asset of each of these kinds.",
    )

    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Days without business hours, one ISO date a line (2026-12-25).",
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "time_zone",
            "business_day_start",
            "business_day_end",
            "business_days",
            "holidays",
            "date_order",
            "escalate_rep_percent",
            "escalate_leader_percent",
            "readiness_threshold",
            "max_training_minutes",
            "required_asset_kinds",
        ]
        widgets = {
            "business_day_start": forms.TimeInput(attrs={"type": "time"}),
            "business_day_end": forms.TimeInput(attrs={"type": "time"}),
        }
        labels = {
            "escalate_rep_percent": "Alert the rep at (% of the first-touch SLA)",
            "escalate_leader_percent": "Alert the rep's leaders at (% of the SLA)",
        }
        help_texts = {
            "readiness_threshold": "A program cannot go live below this score (0–100).",
            "max_training_minutes": "The most required training a program may ask of a rep.",
            "time_zone": "An IANA name such as Europe/Berlin or America/New_York.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["holidays"] = "\n".join(self.instance.holidays or [])

    def clean_holidays(self) -> list[str]:
        days = []
        for line in self.cleaned_data["holidays"].splitlines():
            if not line.strip():
                continue
            try:
                days.append(dt.date.fromisoformat(line.strip()).isoformat())
            except ValueError as exc:
                raise forms.ValidationError(
                    f"“{line.strip()[:20]}” is not a date like 2026-12-25."
                ) from exc
        return sorted(set(days))

    def clean_escalate_leader_percent(self) -> int:
        value: int = self.cleaned_data["escalate_leader_percent"]
        rep = self.cleaned_data.get("escalate_rep_percent") or 0
        if not 10 <= value <= 1000 or value < rep:
            raise forms.ValidationError("Between 10 and 1000, and not below the rep's step.")
        return value

    def clean_readiness_threshold(self) -> int:
        value: int = self.cleaned_data["readiness_threshold"]
        if not 0 <= value <= 100:
            raise forms.ValidationError("Between 0 and 100.")
        return value

    def clean_max_training_minutes(self) -> int:
        value: int = self.cleaned_data["max_training_minutes"]
        if not 1 <= value <= 24 * 60:
            raise forms.ValidationError("Between 1 and 1440 minutes.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("business_day_start"), cleaned.get("business_day_end")
        if start and end and start >= end:
            self.add_error("business_day_end", "The business day must end after it starts.")
        return cleaned


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What it is for, e.g. “CRM sync”: you see it in the list and the audit log.",
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name (e.g. “CRM sync”).")
        return name
