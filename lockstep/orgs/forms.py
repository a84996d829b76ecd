from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue

from lockstep.core.forms import ModelIdsField, check_plan_date, limit_choices
from lockstep.core.permissions import Role
from lockstep.orgs.models import AssetKind, Channel, Invitation, Membership, Organization, Team
from lockstep.orgs.selectors import TeamTree, owner_count, team_hours, with_descendants
from lockstep.orgs.services import TeamClock

TEAM_ROLES = (Role.REP, Role.PARTNER_REP, Role.SALES_LEADER)
WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


INDENT = "\u00a0\u00a0\u00a0"  # no-break spaces: a sub-team's label is indented by depth
PICKER_ATTRS = {"data-filter": "teams"}  # app.js's pickers.js adds a filter box


if TYPE_CHECKING:
    _TeamIterator = ModelChoiceIterator[Team]
else:  # Django's class is not subscriptable at run time
    _TeamIterator = ModelChoiceIterator


class TeamTreeIterator(_TeamIterator):
    """A team picker's choices in tree order (each team followed by its sub-teams, siblings
    by name), labels indented by depth, whatever order the queryset had: a region and its
    teams stay together instead of "EMEA › Zurich" sorting among the Zs. A form that has
    the organization's `TeamTree` already sets it on the field (`field.tree`) to save the
    query."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        tree: TeamTree | None = getattr(self.field, "tree", None)
        ids: set[int] | None = getattr(self.field, "tree_ids", None)
        if tree is not None and ids is not None:
            # the form knows which teams it offers: their names come from the tree (no query)
            teams = [
                Team(pk=t, name=tree.names[t], parent_id=tree.parents[t], channel=tree.channels[t])
                for t in ids
                if t in tree.names
            ]
        else:
            teams = list(self.queryset)
        if not teams:
            return
        by_id = {t.pk: t for t in teams}
        tree = tree or TeamTree.load(Organization(pk=teams[0].org_id))
        for team_id, depth in tree.ordered(set(by_id)):
            team = by_id[team_id]
            label = INDENT * depth + self.field.label_from_instance(team)
            yield (ModelChoiceIteratorValue(self.field.prepare_value(team), team), label)

    def __len__(self) -> int:
        return self.queryset.count() + (1 if self.field.empty_label is not None else 0)


def use_tree(
    form: forms.BaseForm, tree: TeamTree | None, *names: str, ids: set[int] | None = None
) -> None:
    """Give the form's team pickers the organization's loaded tree; with `ids` (the teams
    the pickers' querysets offer, all of the tree's organization) they are shown from the
    tree without a query. Posted values are still checked against the queryset."""
    for name in names:
        form.fields[name].tree = tree  # type: ignore[attr-defined]
        form.fields[name].tree_ids = ids if tree is not None else None  # type: ignore[attr-defined]


class TeamChoiceField(forms.ModelChoiceField[Team]):
    """Pick one team: searchable (a filter box), in tree order, indented by depth."""

    iterator = TeamTreeIterator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.widget.attrs.update(PICKER_ATTRS)

    def label_from_instance(self, obj: Team) -> str:
        return obj.name


class TeamsChoiceField(ModelIdsField):
    """Pick several teams (checkboxes): searchable, in tree order, indented by depth."""

    iterator = TeamTreeIterator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update(PICKER_ATTRS)

    def label_from_instance(self, obj: Team) -> str:
        return obj.name


def zone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone the server knows (`zoneinfo.available_timezones()`), sorted."""
    return [(z, z.replace("_", " ")) for z in sorted(zoneinfo.available_timezones())]


def zone_field(**kwargs: Any) -> forms.ChoiceField:
    """A searchable list of IANA time zones (a filter box over the <select>): only a zone
    of the list is accepted, whatever is posted."""
    blank = kwargs.pop("blank", None)
    choices = ([("", blank)] if blank else []) + zone_choices()
    message = "“%(value)s” is not a known time zone: pick one from the list (e.g. Europe/London)."
    return forms.ChoiceField(
        choices=choices,
        widget=forms.Select(attrs={"data-filter": "zones"}),
        error_messages={"invalid_choice": message},
        **kwargs,
    )


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    parent = TeamChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="— top level —"
    )
    channel = forms.ChoiceField(choices=Channel.choices)
    time_zone = forms.ChoiceField(required=False)  # replaced in __init__ (the inherited zone)
    business_day_start = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Business day starts"
    )
    business_day_end = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Business day ends"
    )
    business_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args: Any, org: Organization, team: Team | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.org, self.team = org, team
        parents = Team.objects.for_org(org).select_related("parent")
        if team is not None:
            parents = parents.exclude(pk__in=with_descendants(org, [team.pk]))
        limit_choices(self, "parent", parents)
        above = team_hours(team.parent if team is not None else None, org)
        days = ", ".join(label for n, label in WEEKDAYS if n in above.days) or "none"
        self.fields["time_zone"] = zone_field(
            required=False,
            blank=f"— inherited ({above.time_zone}) —",
            help_text="Empty: the parent team's zone, else the organization's. Used by the "
            "first-touch SLA of the team's reps' leads and their calendar invites.",
        )
        self.fields[
            "business_day_start"
        ].help_text = f"Empty: inherited ({above.opens:%H:%M}–{above.closes:%H:%M})."
        self.fields["business_days"].help_text = f"None ticked: inherited ({days})."

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        clash = Team.objects.for_org(self.org).filter(name__iexact=name)
        if self.team is not None:
            clash = clash.exclude(pk=self.team.pk)
        if clash.exists():
            raise forms.ValidationError(f"There is already a team called “{name}”.")
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("business_day_start"), cleaned.get("business_day_end")
        if (start is None) != (end is None) and not self.errors:
            self.add_error("business_day_end", "Give both the start and the end, or neither.")
        elif start and end and start >= end:
            self.add_error("business_day_end", "The business day must end after it starts.")
        return cleaned

    def basics(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("name", "parent", "channel")}

    def clock(self) -> TeamClock:
        data = self.cleaned_data
        return TeamClock(
            time_zone=data["time_zone"],
            business_day_start=data["business_day_start"],
            business_day_end=data["business_day_end"],
            business_days=tuple(data["business_days"]) or None,
        )


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
    led_teams = TeamsChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label="Teams led",
        # app.js shows the field only while the role is "Sales leader"; without scripts it
        # stays visible and the server ignores it for other roles (clean below).
        widget=forms.CheckboxSelectMultiple(attrs={"data-show-for-role": Role.SALES_LEADER}),
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
        if role != Role.SALES_LEADER:
            cleaned["led_teams"] = []  # only sales leaders lead teams: ignore what was posted
        elif not cleaned.get("led_teams"):
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

    time_zone = zone_field(
        help_text="Pick from the list (type to filter): the zone of business hours, the SLA "
        "clock and invites; a team or region can set its own (Teams › Edit)."
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
                day = dt.date.fromisoformat(line.strip())
                check_plan_date(day)
                days.append(day.isoformat())
            except (ValueError, forms.ValidationError) as exc:
                raise forms.ValidationError(
                    f"“{line.strip()[:20]}” is not a date like 2026-12-25 (2000 to 2199)."
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
    expires_in_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Expires after (days)",
        help_text="Leave empty for a token that works until you revoke it.",
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name (e.g. “CRM sync”).")
        return name
