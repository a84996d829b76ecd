"""Validated input for program services: forms and the API build these, services trust them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile

from lockstep.accounts.models import User
from lockstep.orgs.models import Team
from lockstep.programs.models import TrainingItem


@dataclass(frozen=True)
class ProgramInput:
    name: str
    kind: str
    summary: str = ""
    owner: User | None = None
    audience: tuple[Team, ...] = ()
    launch_date: dt.date | None = None
    end_date: dt.date | None = None
    campaign_codes: tuple[str, ...] = ()
    reminder_days: int = 3
    training_due_days: int = 14


@dataclass(frozen=True)
class ActivityInput:
    kind: str
    date: dt.date
    teams: tuple[Team, ...] = ()
    owner: User | None = None
    notes: str = ""


@dataclass(frozen=True)
class WiifmInput:
    wiifm: str = ""
    incentive_kind: str = "none"
    incentive_amount: Decimal | None = None
    incentive_currency: str = ""
    proof_points: str = ""


@dataclass(frozen=True)
class AssetInput:
    kind: str
    title: str
    file: UploadedFile[bytes] | None = None
    url: str = ""
    owner: User | None = None
    expires_on: dt.date | None = None
    partner_visible: bool = False


@dataclass(frozen=True)
class TrainingInput:
    kind: str
    title: str
    duration_minutes: int
    starts_at: dt.datetime | None = None
    join_url: str = ""
    content_url: str = ""
    content: str = ""
    required: bool = True


@dataclass(frozen=True)
class CheckQuestionInput:
    text: str
    kind: str
    explanation: str = ""
    choices: tuple[tuple[str, bool], ...] = field(default_factory=tuple)


def training_input_of(item: TrainingItem) -> TrainingInput:
    """A session's current values, to change some of them (`dataclasses.replace`)."""
    return TrainingInput(
        kind=item.kind,
        title=item.title,
        duration_minutes=item.duration_minutes,
        starts_at=item.starts_at,
        join_url=item.join_url,
        content_url=item.content_url,
        content=item.content,
        required=item.required,
    )
