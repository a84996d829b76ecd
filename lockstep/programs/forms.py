from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db.models import F, Q

from lockstep.core.forms import IdPrefixForm, PlanDateField, limit_choices
from lockstep.core.permissions import SELLING_ROLES, Role
from lockstep.orgs.forms import TeamChoiceField, TeamsChoiceField, use_tree
from lockstep.orgs.models import AssetKind, Membership, Organization, Team
from lockstep.orgs.selectors import TeamTree, nearest_leaders, reps_in_teams
from lockstep.programs.inputs import (
    ActivityInput,
    AssetInput,
    CheckQuestionInput,
    ProgramInput,
    TrainingInput,
    WiifmInput,
)
from lockstep.programs.models import (
    WIIFM_MAX,
    ActivityKind,
    IncentiveKind,
    Program,
    ProgramKind,
    ProgramStatus,
    QuestionKind,
    TargetMetric,
    TargetPeriod,
    TargetStatus,
    TrainingKind,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CODE_RE = re.compile(r"^[\w.\-/ ]{1,60}$")


# Team pickers are searchable and in tree order (orgs.forms.TeamTreeIterator).
TeamsField = TeamsChoiceField


def org_teams(org: Organization) -> Any:
    return Team.objects.for_org(org)


if TYPE_CHECKING:
    _Iterator = forms.models.ModelChoiceIterator[Any]
else:  # Django's class is not subscriptable at run time
    _Iterator = forms.models.ModelChoiceIterator


class ListedIterator(_Iterator):
    """The choices of a field given the rows the page has already read (`field.rows`),
    without a query of its own; else those of its queryset."""

    def __iter__(self) -> Any:
        rows: list[Any] | None = getattr(self.field, "rows", None)
        if rows is None:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in rows:
            yield self.choice(obj)

    def __len__(self) -> int:
        rows: list[Any] | None = getattr(self.field, "rows", None)
        if rows is None:
            return super().__len__()
        return len(rows) + (1 if self.field.empty_label is not None else 0)


def offer_rows(form: forms.BaseForm, name: str, rows: list[Any] | None) -> None:
    """Show these already-read rows as the field's choices (they must be within its
    queryset: posted values are still checked against the queryset)."""
    form.fields[name].rows = rows  # type: ignore[attr-defined]


class UserChoiceField(forms.ModelChoiceField[Membership]):
    iterator = ListedIterator

    def label_from_instance(self, obj: Membership) -> str:
        team = f" · {obj.team.name}" if obj.team else ""
        return f"{obj.user}{team}"


STAFF_ROLES = (Role.OWNER, Role.MARKETER)


def staff(org: Organization) -> Any:
    return (
        Membership.objects.for_org(org)
        .filter(role__in=STAFF_ROLES)
        .select_related("user", "team")
        .order_by("user__first_name")
    )


ACTIVITY_OWNERS = (Role.OWNER, Role.MARKETER, Role.SALES_LEADER)


@dataclass
class PlanPeople:
    """The people the program page's pickers offer, read in one query: the activity and
    asset owners (owners, marketers, sales leaders), the reps of the teams that can have a
    champion, and for each team the first sales leader (by name) who leads it."""

    staff: list[Membership]
    reps: list[Membership]
    leader_of: dict[int, Membership]


def plan_people(org: Organization, rep_team_ids: Iterable[int] = ()) -> PlanPeople:
    rows = (
        Membership.objects.for_org(org)
        .filter(
            Q(role__in=ACTIVITY_OWNERS)
            | Q(role__in=list(SELLING_ROLES), team_id__in=list(rep_team_ids))
        )
        .select_related("user", "team")
        # one row per team a leader leads (none for the others): who leads what, same query
        .annotate(led_team=F("led_teams"))
        .order_by("user__first_name", "user__last_name", "user__email", "pk")
    )
    seen: dict[int, Membership] = {}
    leader_of: dict[int, Membership] = {}
    for row in rows:
        member = seen.setdefault(row.pk, row)
        led = getattr(row, "led_team", None)
        if led is not None and member.role == Role.SALES_LEADER:
            leader_of.setdefault(led, member)
    people = list(seen.values())
    return PlanPeople(
        staff=[m for m in people if m.role in ACTIVITY_OWNERS],
        reps=[m for m in people if m.role in SELLING_ROLES],
        leader_of=leader_of,
    )


class ProgramForm(forms.Form):
    name = forms.CharField(max_length=160)
    kind = forms.ChoiceField(choices=ProgramKind.choices)
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=20000,
        help_text="What it is and why it matters. Markdown: **bold**, lists, links.",
    )
    owner = UserChoiceField(queryset=Membership.objects.none(), required=False)
    audience = TeamsField(
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Picking a region includes all its teams.",
    )
    launch_date = PlanDateField(required=False, widget=DATE)
    end_date = PlanDateField(required=False, widget=DATE)
    campaign_codes = forms.CharField(
        required=False,
        max_length=1000,
        help_text="CRM campaign names or codes, comma-separated: leads are matched by them.",
    )
    reminder_days = forms.IntegerField(
        min_value=1, max_value=60, initial=3, required=False,
        label="Remind unread briefs after (days)",
    )  # fmt: skip
    training_due_days = forms.IntegerField(
        min_value=1, max_value=180, initial=14, required=False,
        label="Training and check due after launch (days)",
    )  # fmt: skip

    def __init__(self, *args: Any, org: Organization, program: Program | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.org, self.program = org, program
        limit_choices(self, "owner", staff(org))
        limit_choices(self, "audience", org_teams(org))

    def clean_campaign_codes(self) -> list[str]:
        raw = self.cleaned_data["campaign_codes"]
        codes = [c.strip() for c in raw.split(",") if c.strip()]
        for code in codes:
            if not CODE_RE.match(code):
                raise forms.ValidationError(f"“{code[:60]}” is not a valid campaign code.")
        lowered = [c.lower() for c in codes]
        if len(set(lowered)) != len(lowered):
            raise forms.ValidationError("A campaign code is listed twice.")
        others = Program.objects.for_org(self.org)
        if self.program is not None:
            others = others.exclude(pk=self.program.pk)
        for other in others.exclude(campaign_codes=[]):
            clash = {c.lower() for c in other.campaign_codes} & set(lowered)
            if clash:
                raise forms.ValidationError(
                    f"“{sorted(clash)[0]}” is already used by the program “{other.name}”."
                )
        return codes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        launch, end = cleaned.get("launch_date"), cleaned.get("end_date")
        if launch and end and end < launch:
            self.add_error("end_date", "The end date is before the launch date.")
        return cleaned

    def to_input(self) -> ProgramInput:
        data = self.cleaned_data
        owner = data["owner"]

        def number(name: str) -> int:
            value = data[name]
            return int(self.fields[name].initial if value is None else value)

        return ProgramInput(
            name=data["name"],
            kind=data["kind"],
            summary=data["summary"],
            owner=owner.user if owner else None,
            audience=tuple(data["audience"]),
            launch_date=data["launch_date"],
            end_date=data["end_date"],
            campaign_codes=tuple(data["campaign_codes"]),
            reminder_days=number("reminder_days"),
            training_due_days=number("training_due_days"),
        )


def audience_choices(org: Organization, team_ids: set[int]) -> Any:
    return org_teams(org).filter(pk__in=team_ids)


class ActivityForm(IdPrefixForm):
    id_prefix = "activity"
    kind = forms.ChoiceField(choices=ActivityKind.choices)
    date = PlanDateField(widget=DATE)
    teams = TeamsField(queryset=Team.objects.none(), widget=forms.CheckboxSelectMultiple)
    owner = UserChoiceField(queryset=Membership.objects.none(), required=False)
    notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, org: Organization, team_ids: set[int], tree: TeamTree | None = None,
        people: list[Membership] | None = None, **kw: Any,
    ):  # fmt: skip
        super().__init__(*args, **kw)
        limit_choices(self, "teams", audience_choices(org, team_ids))
        use_tree(self, tree, "teams", ids=team_ids)
        self.fields["teams"].help_text = "Audience teams this activity reaches."
        owners = Membership.objects.for_org(org).filter(role__in=ACTIVITY_OWNERS)
        limit_choices(self, "owner", owners.select_related("user", "team"))
        offer_rows(self, "owner", people)

    def to_input(self) -> ActivityInput:
        data = self.cleaned_data
        return ActivityInput(
            kind=data["kind"],
            date=data["date"],
            teams=tuple(data["teams"]),
            owner=data["owner"].user if data["owner"] else None,
            notes=data["notes"],
        )


class WiifmForm(IdPrefixForm):
    id_prefix = "wiifm"
    wiifm = forms.CharField(
        label="What's in it for the rep",
        required=False,
        max_length=WIIFM_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "data-counter": str(WIIFM_MAX)}),
        help_text="Plain words, the rep's language: how this helps them hit their number.",
    )
    incentive_kind = forms.ChoiceField(choices=IncentiveKind.choices, label="Incentive")
    incentive_amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label="Amount",
        help_text="For a commission accelerator, the multiplier: 2 is 2× commission.",
    )
    incentive_currency = forms.CharField(required=False, max_length=3, label="Currency")
    proof_points = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Customer results, numbers, quotes. Markdown.",
    )

    def clean_incentive_currency(self) -> str:
        value: str = self.cleaned_data["incentive_currency"].strip().upper()
        if value and not re.fullmatch(r"[A-Z]{3}", value):
            raise forms.ValidationError("A three-letter code such as EUR or USD.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("incentive_kind") not in (None, IncentiveKind.NONE):
            if not cleaned.get("incentive_amount"):
                self.add_error("incentive_amount", "Give the incentive's amount.")
            accelerator = cleaned.get("incentive_kind") == IncentiveKind.ACCELERATOR
            if accelerator:  # a multiplier ("2" is 2× commission), not money
                cleaned["incentive_currency"] = ""
            elif not cleaned.get("incentive_currency"):
                self.add_error("incentive_currency", "Give the currency, e.g. EUR.")
        return cleaned

    def to_input(self) -> WiifmInput:
        data = self.cleaned_data
        return WiifmInput(
            wiifm=data["wiifm"],
            incentive_kind=data["incentive_kind"],
            incentive_amount=data["incentive_amount"],
            incentive_currency=data["incentive_currency"],
            proof_points=data["proof_points"],
        )


class AssetForm(IdPrefixForm):
    id_prefix = "asset"
    kind = forms.ChoiceField(choices=AssetKind.choices)
    title = forms.CharField(max_length=160)
    file = forms.FileField(required=False)
    url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Or a link")
    owner = UserChoiceField(queryset=Membership.objects.none(), required=False)
    expires_on = PlanDateField(required=False, widget=DATE)
    partner_visible = forms.BooleanField(required=False, label="Partners may see it")

    def __init__(
        self, *args: Any, org: Organization, people: list[Membership] | None = None, **kw: Any
    ):
        super().__init__(*args, **kw)
        limit_choices(self, "owner", staff(org))
        if people is not None:  # the page's people list: its owners and marketers
            offer_rows(self, "owner", [m for m in people if m.role in STAFF_ROLES])
        exts = ", ".join(settings.ASSET_EXTENSIONS)
        self.fields["file"].help_text = f"Up to {settings.ASSET_MAX_MB} MB: {exts}."

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if not upload:
            return upload
        name = PurePath(str(upload.name).replace("\\", "/")).name
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in settings.ASSET_EXTENSIONS:
            raise forms.ValidationError(
                f"Files of type “.{ext or '?'}” are not accepted. Allowed: "
                + ", ".join(settings.ASSET_EXTENSIONS)
                + "."
            )
        if upload.size > settings.ASSET_MAX_MB * 1024 * 1024:
            size = upload.size / 1048576
            raise forms.ValidationError(
                f"The file is {size:.1f} MB; the limit is {settings.ASSET_MAX_MB} MB."
            )
        upload.name = name
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        has_file, has_url = bool(cleaned.get("file")), bool(cleaned.get("url"))
        if has_file == has_url and not self.errors:
            raise forms.ValidationError("Upload a file or give a link (one of the two).")
        return cleaned

    def to_input(self) -> AssetInput:
        data = self.cleaned_data
        upload = data["file"] or None
        if upload is not None:
            # the type we store is the one the name implies, never what the browser claimed
            guessed = mimetypes.guess_type(upload.name)[0]
            upload.content_type = guessed or "application/octet-stream"
        return AssetInput(
            kind=data["kind"],
            title=data["title"],
            file=upload,
            url=data["url"],
            owner=data["owner"].user if data["owner"] else None,
            expires_on=data["expires_on"],
            partner_visible=data["partner_visible"],
        )


class TargetForm(IdPrefixForm):
    id_prefix = "target"
    team = TeamChoiceField(queryset=Team.objects.none())
    metric = forms.ChoiceField(choices=TargetMetric.choices)
    value = forms.DecimalField(min_value=0.01, max_digits=14, decimal_places=2)
    period = forms.ChoiceField(choices=TargetPeriod.choices)

    def __init__(
        self, *args: Any, org: Organization, team_ids: set[int], tree: TeamTree | None = None,
        **kw: Any,
    ):  # fmt: skip
        super().__init__(*args, **kw)
        limit_choices(self, "team", audience_choices(org, team_ids))
        use_tree(self, tree, "team", ids=team_ids)


SPLIT_CHOICES = [
    ("headcount", "A total, split by headcount (reps per team)"),
    ("equal", "The same value for each team"),
]


class AudienceTargetForm(forms.Form):
    """The same target for every audience team: metric and period once, a total split by
    headcount or one value per team (programs.services.set_audience_targets)."""

    prefix = "all"
    metric = forms.ChoiceField(choices=TargetMetric.choices)
    period = forms.ChoiceField(choices=TargetPeriod.choices)
    split = forms.ChoiceField(
        choices=SPLIT_CHOICES, widget=forms.RadioSelect, initial="headcount", label="Share out"
    )
    value = forms.DecimalField(
        min_value=0.01,
        max_digits=14,
        decimal_places=2,
        help_text="The total to split, or each team's value. Edit any team's target afterwards.",
    )


class AudienceChampionsForm(forms.Form):
    """Champions for several audience teams in one submit: one rep per team (a select per
    team, in tree order), or the leader of each team."""

    prefix = "champs"
    mode = forms.ChoiceField(
        choices=[("pick", "The reps picked below"), ("leaders", "The leader of each team")],
        widget=forms.RadioSelect,
        initial="pick",
        label="Name as champions",
    )

    def __init__(
        self, *args: Any, org: Organization, team_ids: set[int], tree: TeamTree | None = None,
        people: PlanPeople | None = None, **kw: Any,
    ):  # fmt: skip
        """`people` (from `plan_people` with these teams) saves reading the reps and
        leaders again."""
        super().__init__(*args, **kw)
        self.org = org
        tree = tree or TeamTree.load(org)
        if people is not None:
            reps = [m for m in people.reps if m.team_id in team_ids]
        else:
            reps = list(
                reps_in_teams(org, team_ids)
                .select_related("user", "team")
                .order_by("user__first_name", "user__last_name", "user__email", "pk")
            )
        self.teams = [(t, tree.names[t], depth) for t, depth in tree.ordered(set(team_ids))]
        self.leaders = nearest_leaders(
            org, team_ids, tree, by_team=people.leader_of if people is not None else None
        )
        self.members = {m.pk: m for m in reps}
        for team_id, name, _ in self.teams:
            choices = [(m.pk, str(m.user)) for m in reps if m.team_id == team_id]
            self.fields[f"team_{team_id}"] = forms.TypedChoiceField(
                choices=[("", "— nobody —"), *choices],
                coerce=int,
                empty_value=None,
                required=False,
                label=name,
            )

    def team_fields(self) -> list[tuple[forms.BoundField, int]]:
        return [(self[f"team_{team_id}"], depth) for team_id, _, depth in self.teams]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen: list[tuple[int, Membership]] = []
        if cleaned.get("mode") == "leaders":
            chosen = [(t, self.leaders[t]) for t, _, _ in self.teams if t in self.leaders]
            if not chosen:
                raise forms.ValidationError("No audience team has a sales leader.")
        elif cleaned.get("mode") == "pick":
            picked = [(t, cleaned.get(f"team_{t}")) for t, _, _ in self.teams]
            chosen = [(t, self.members[pk]) for t, pk in picked if pk is not None]
            if not chosen and not self.errors:
                raise forms.ValidationError("Pick a rep in at least one team.")
        teams = Team.objects.for_org(self.org).in_bulk([t for t, _ in chosen])
        cleaned["picks"] = [(teams[t], member) for t, member in chosen]
        return cleaned


class TargetResponseForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(TargetStatus.ACKNOWLEDGED, "Acknowledge"), (TargetStatus.DISPUTED, "Dispute")]
    )
    comment = forms.CharField(required=False, max_length=2000)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("status") == TargetStatus.DISPUTED and not cleaned.get("comment"):
            self.add_error("comment", "Say why you dispute it, so marketing can respond.")
        return cleaned


class TrainingForm(IdPrefixForm):
    id_prefix = "training"
    kind = forms.ChoiceField(choices=TrainingKind.choices)
    title = forms.CharField(max_length=160)
    starts_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Live sessions: in the organization's time zone.",
    )
    duration_minutes = forms.IntegerField(min_value=1, max_value=600, label="Minutes")
    join_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    content_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    content = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    required = forms.BooleanField(required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == TrainingKind.LIVE:
            if not cleaned.get("starts_at"):
                self.add_error("starts_at", "A live session needs a date and time.")
            if not cleaned.get("join_url"):
                self.add_error("join_url", "A live session needs a joining link.")
        elif cleaned.get("kind") == TrainingKind.SELF_PACED:
            if not cleaned.get("content_url") and not cleaned.get("content"):
                self.add_error("content_url", "Give a link to the module or write its content.")
        return cleaned

    def to_input(self) -> TrainingInput:
        data = self.cleaned_data
        return TrainingInput(
            kind=data["kind"],
            title=data["title"],
            duration_minutes=data["duration_minutes"],
            starts_at=data["starts_at"],
            join_url=data["join_url"],
            content_url=data["content_url"],
            content=data["content"],
            required=data["required"],
        )


class KnowledgeCheckForm(IdPrefixForm):
    id_prefix = "check"
    title = forms.CharField(max_length=160, initial="Knowledge check")
    pass_mark = forms.IntegerField(min_value=1, max_value=100, initial=80, label="Pass mark (%)")
    attempts_allowed = forms.IntegerField(min_value=1, max_value=10, initial=3)


class ChampionForm(IdPrefixForm):
    id_prefix = "champion"
    member = UserChoiceField(queryset=Membership.objects.none(), label="Rep")

    def __init__(
        self,
        *args: Any,
        org: Organization,
        team_ids: set[int],
        reps: list[Membership] | None = None,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        queryset = reps_in_teams(org, team_ids).select_related("user", "team")
        limit_choices(self, "member", queryset.order_by("team__name", "user__first_name"))
        if reps is not None:  # the page has read them (the same teams' reps)
            rows = sorted(reps, key=lambda m: (m.team.name if m.team else "", m.user.first_name))
            offer_rows(self, "member", rows)


class TextForm(forms.Form):
    body = forms.CharField(
        label="Your question", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class EndorseForm(forms.Form):
    comment = forms.CharField(required=False, max_length=1000)


class FeedbackResponseForm(forms.Form):
    response = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    addressed = forms.BooleanField(required=False, label="Mark as addressed")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("response") and not cleaned.get("addressed"):
            raise forms.ValidationError("Write an answer or mark the feedback as addressed.")
        return cleaned


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=ProgramStatus.choices)
    override_reason = forms.CharField(required=False, max_length=2000)


class ProgramFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *ProgramStatus.choices, ("archived", "Archived")],
        required=False,
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *ProgramKind.choices], required=False)
    owner = forms.ModelChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="Any owner"
    )
    team = TeamChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="Any audience team"
    )

    def __init__(self, *args: Any, org: Organization, **kw: Any):
        super().__init__(*args, **kw)
        limit_choices(self, "owner", staff(org))
        limit_choices(self, "team", org_teams(org))


CHOICE_SLOTS = 5


class CheckQuestionForm(forms.Form):
    text = forms.CharField(
        label="Question", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    kind = forms.ChoiceField(choices=QuestionKind.choices, label="Answers")
    explanation = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown after submission: why the right answer is right.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(CHOICE_SLOTS):
            self.fields[f"choice_{i}"] = forms.CharField(
                required=False, max_length=300, label=f"Choice {i + 1}"
            )
            # each box named for its choice ("Choice 2 is correct"), not all "correct"
            self.fields[f"correct_{i}"] = forms.BooleanField(
                required=False, label=f"Choice {i + 1} is correct"
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        choices = []
        for i in range(CHOICE_SLOTS):
            text = (cleaned.get(f"choice_{i}") or "").strip()
            if text:
                choices.append((text, bool(cleaned.get(f"correct_{i}"))))
            elif cleaned.get(f"correct_{i}"):
                self.add_error(f"choice_{i}", "A correct answer needs text.")
        correct = sum(1 for _, c in choices if c)
        if len(choices) < 2:
            raise forms.ValidationError("Give at least two choices.")
        if len({t.lower() for t, _ in choices}) != len(choices):
            raise forms.ValidationError("Two choices have the same text.")
        if cleaned.get("kind") == QuestionKind.SINGLE and correct != 1:
            raise forms.ValidationError("A one-answer question has exactly one correct choice.")
        if cleaned.get("kind") == QuestionKind.MULTIPLE and correct < 1:
            raise forms.ValidationError("Mark at least one choice as correct.")
        cleaned["choices"] = choices
        return cleaned

    def to_input(self) -> CheckQuestionInput:
        data = self.cleaned_data
        return CheckQuestionInput(
            text=data["text"],
            kind=data["kind"],
            explanation=data["explanation"],
            choices=tuple(data["choices"]),
        )

    def choice_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"choice_{i}"], self[f"correct_{i}"]) for i in range(CHOICE_SLOTS)]
