"""The readiness score: pure functions over plain facts, no database access.

`collect_facts` (in services) turns a program into `ProgramFacts`; `score(facts)` applies
the rules documented in docs/readiness.md and returns a 0–100 score, the state of each of
the six questions and plain-language findings, each pointing at the section that fixes it."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlsplit


class Question(StrEnum):
    SELL_IN = "sell_in"
    BUY_IN = "buy_in"
    WIIFM = "wiifm"
    KIT = "kit"
    TARGETS = "targets"
    TRAINING = "training"


QUESTION_TITLES = {
    Question.SELL_IN: "Sell-in",
    Question.BUY_IN: "Buy-in",
    Question.WIIFM: "What's in it for me",
    Question.KIT: "Rep kit",
    Question.TARGETS: "Targets",
    Question.TRAINING: "Training",
}

# Points each question is worth; they add up to 100.
WEIGHTS = {
    Question.SELL_IN: 15,
    Question.BUY_IN: 20,
    Question.WIIFM: 15,
    Question.KIT: 20,
    Question.TARGETS: 15,
    Question.TRAINING: 15,
}


class State(StrEnum):
    EMPTY = "empty"  # 0 points
    PARTIAL = "partial"  # half the points
    COMPLETE = "complete"  # all the points


@dataclass(frozen=True)
class TeamFact:
    id: int
    name: str
    parent_id: int | None
    channel: str  # "direct" | "inside_sales" | "partner"


@dataclass(frozen=True)
class ActivityFact:
    kind_label: str  # "Roadshow"
    date: dt.date
    team_ids: frozenset[int]  # teams it reaches (a region reaches its sub-teams)


@dataclass(frozen=True)
class AssetFact:
    kind: str  # AssetKind value, e.g. "battlecard"
    kind_label: str  # "Battlecard"
    title: str
    expires_on: dt.date | None
    partner_visible: bool
    has_owner: bool = True
    url: str = ""  # a link asset's address ("" for an uploaded file)


@dataclass(frozen=True)
class TargetFact:
    team_id: int
    status: str  # "pending" | "acknowledged" | "disputed"


@dataclass(frozen=True)
class TrainingFact:
    title: str
    kind: str  # "live" | "self_paced"
    minutes: int
    required: bool
    starts_at: dt.datetime | None = None
    has_join_link: bool = True


@dataclass(frozen=True)
class ProgramFacts:
    today: dt.date
    launch_date: dt.date | None
    # The org's teams that matter: the chosen audience, their ancestors and descendants.
    teams: dict[int, TeamFact]
    audience_ids: frozenset[int]  # as chosen, before expanding regions
    activities: list[ActivityFact] = field(default_factory=list)
    endorsement_count: int = 0  # by leaders of audience teams
    preview_held: bool = False  # the program went through a preview round with sales
    champion_team_ids: frozenset[int] = frozenset()
    open_feedback_count: int = 0
    wiifm: str = ""
    incentive_kind: str = "none"
    incentive_amount: Decimal | None = None
    incentive_currency: str = ""
    proof_points: str = ""
    assets: list[AssetFact] = field(default_factory=list)
    required_asset_kinds: list[tuple[str, str]] = field(default_factory=list)  # (kind, label)
    targets: list[TargetFact] = field(default_factory=list)
    training: list[TrainingFact] = field(default_factory=list)
    has_knowledge_check: bool = False
    max_training_minutes: int = 60


@dataclass(frozen=True)
class Finding:
    question: Question
    message: str  # plain language: "2 of 7 audience teams have no target"


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    state: State
    points: int  # earned
    weight: int  # possible
    findings: list[Finding]

    @property
    def title(self) -> str:
        return QUESTION_TITLES[self.question]


@dataclass(frozen=True)
class Readiness:
    score: int  # 0–100
    questions: list[QuestionResult]  # in the order of Question

    @property
    def findings(self) -> list[Finding]:
        return [f for q in self.questions for f in q.findings]

    def passes(self, threshold: int) -> bool:
        return self.score >= threshold


# --- helpers ------------------------------------------------------------------------------

_Rule = tuple[State, list[Finding]]

_INCENTIVE_NAMES = {
    "spiff": "SPIFF",
    "accelerator": "commission accelerator",
    "quota_credit": "quota credit",
    "other": "incentive",
}

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _date(day: dt.date) -> str:
    """12 May 2027 (no leading zero, English month whatever the locale)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _of(part: int, whole: int, singular: str, plural: str) -> str:
    """ "1 of 7 audience teams has no target" / "2 of 7 audience teams have no target"."""
    return f"{part} of {whole} audience teams {singular if part == 1 else plural}"


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def _lower_first(text: str) -> str:
    """ "Battlecard" → "battlecard"; an acronym stays as it is ("FAQ & objection handling")."""
    first_word = text.split(" ", 1)[0]
    if len(first_word) > 1 and first_word.isupper():
        return text
    return text[:1].lower() + text[1:]


def _findings(question: Question, messages: list[str]) -> list[Finding]:
    return [Finding(question, message) for message in messages]


def _partial_unless(question: Question, messages: list[str]) -> _Rule:
    """Complete exactly when nothing is wrong."""
    return (State.PARTIAL if messages else State.COMPLETE), _findings(question, messages)


def _is_valid(asset: AssetFact, today: dt.date) -> bool:
    """Not expired: no expiry date, or it expires today or later."""
    return asset.expires_on is None or asset.expires_on >= today


class _Audience:
    """The audience expanded: chosen teams and their descendants; leaves are selling teams."""

    def __init__(self, facts: ProgramFacts) -> None:
        self.teams = facts.teams
        children: dict[int | None, set[int]] = {}
        for team in facts.teams.values():
            children.setdefault(team.parent_id, set()).add(team.id)
        expanded: set[int] = set()
        stack = [t for t in facts.audience_ids if t in facts.teams]
        while stack:
            team_id = stack.pop()
            if team_id not in expanded:
                expanded.add(team_id)
                stack.extend(children.get(team_id, ()))
        self.expanded = expanded
        self.selling = {t for t in expanded if not children.get(t)}

    @property
    def present(self) -> bool:
        return bool(self.expanded)

    def lineage(self, team_id: int) -> set[int]:
        """The team and all its ancestors."""
        found: set[int] = set()
        current: int | None = team_id
        while current is not None and current not in found and current in self.teams:
            found.add(current)
            current = self.teams[current].parent_id
        return found

    def covered(self, by: set[int]) -> set[int]:
        """Selling teams that are in `by` themselves or through an ancestor."""
        return {t for t in self.selling if self.lineage(t) & by}


# --- 1. sell-in ---------------------------------------------------------------------------


def _late_activities(facts: ProgramFacts) -> list[str]:
    """Selling in happens before launch: an activity on the launch day itself is too late."""
    if facts.launch_date is None:
        return []
    launch = facts.launch_date
    return [
        f"The {activity.kind_label.lower()} on {_date(activity.date)} is "
        + ("on" if activity.date == launch else "after")
        + f" the launch date ({_date(launch)}): sell the program in before it goes live"
        for activity in facts.activities
        if activity.date >= launch
    ]


def _sell_in(facts: ProgramFacts, audience: _Audience) -> _Rule:
    messages = []
    if not audience.present:
        messages.append("No audience teams are picked: choose who this program is for.")
    if not facts.activities:
        messages.append(
            "No sell-in activity is planned: add a kickoff, a manager cascade, a roadshow "
            "or a webinar before launch."
        )
        return State.EMPTY, _findings(Question.SELL_IN, messages)
    reached = audience.covered({t for a in facts.activities for t in a.team_ids})
    missing = len(audience.selling) - len(reached)
    if missing:
        total = len(audience.selling)
        messages.append(
            _of(missing, total, "is not reached", "are not reached") + " by any sell-in activity"
        )
    messages.extend(_late_activities(facts))
    return _partial_unless(Question.SELL_IN, messages)


# --- 2. buy-in ----------------------------------------------------------------------------


def _buy_in(facts: ProgramFacts, audience: _Audience) -> _Rule:
    messages = []
    endorsed = facts.endorsement_count >= 1
    if not endorsed:
        messages.append("No sales leader of an audience team has endorsed this program yet.")
    if not facts.preview_held:
        messages.append(
            "No preview round yet: put the program in preview so sales sees it and gives "
            "feedback before it is ready."
        )
    championed = audience.selling & facts.champion_team_ids
    missing = len(audience.selling) - len(championed)
    if missing:
        messages.append(_of(missing, len(audience.selling), "has no champion", "have no champion"))
    if facts.open_feedback_count > 0:
        n = facts.open_feedback_count
        messages.append(
            _count(n, "preview feedback item is", "preview feedback items are")
            + " not answered yet"
        )
    if messages and not endorsed and not championed:
        return State.EMPTY, _findings(Question.BUY_IN, messages)
    return _partial_unless(Question.BUY_IN, messages)


# --- 3. WIIFM -----------------------------------------------------------------------------


def _incentive_is_consistent(facts: ProgramFacts) -> bool:
    if facts.incentive_kind == "none":
        return True
    amount_ok = facts.incentive_amount is not None and facts.incentive_amount > 0
    if facts.incentive_kind == "accelerator":  # a multiplier: no currency
        return amount_ok
    currency = facts.incentive_currency.strip()
    return amount_ok and len(currency) == 3 and currency.isalpha()


def _wiifm(facts: ProgramFacts) -> _Rule:
    if not facts.wiifm.strip():
        message = "The WIIFM statement is empty: say in the rep's words what is in it for them."
        return State.EMPTY, _findings(Question.WIIFM, [message])
    messages = []
    if not facts.proof_points.strip():
        messages.append(
            "Add proof points: customer results or numbers that make the WIIFM credible."
        )
    if not _incentive_is_consistent(facts):
        name = _INCENTIVE_NAMES.get(facts.incentive_kind, "incentive")
        messages.append(f"The {name} has no amount or currency.")
    return _partial_unless(Question.WIIFM, messages)


# --- 4. rep kit ---------------------------------------------------------------------------


def _missing_kinds(facts: ProgramFacts) -> list[str]:
    """Required kinds with no asset at all (kinds whose assets all expired are reported
    asset by asset instead)."""
    present = {a.kind for a in facts.assets}
    return [
        f"No {_lower_first(label)} in the kit (required)."
        for kind, label in facts.required_asset_kinds
        if kind not in present
    ]


def _expired_assets(facts: ProgramFacts) -> list[str]:
    return [
        f"The {_lower_first(a.kind_label)} “{a.title}” expired on {_date(a.expires_on)}."
        for a in facts.assets
        if a.expires_on is not None and not _is_valid(a, facts.today)
    ]


def _unowned_assets(facts: ProgramFacts) -> list[str]:
    """Every asset needs someone who keeps it current, and a date when it goes stale."""
    messages = []
    for a in facts.assets:
        gaps = [g for g, bad in (("no owner", not a.has_owner),
                                 ("no expiry date", a.expires_on is None)) if bad]  # fmt: skip
        if gaps:
            messages.append(
                f"The {_lower_first(a.kind_label)} “{a.title}” has {' and '.join(gaps)}."
            )
    return messages


def _partner_gap(facts: ProgramFacts, audience: _Audience) -> list[str]:
    partners = any(facts.teams[t].channel == "partner" for t in audience.selling)
    visible = any(a.partner_visible and _is_valid(a, facts.today) for a in facts.assets)
    if partners and not visible:
        return ["Partner teams are in the audience but no asset is partner-visible."]
    return []


# Hosts partners cannot reach: names only a company network resolves. A partner-visible
# link to one of them is a finding (docs/readiness.md, "internal links").
INTERNAL_SUFFIXES = (
    ".local", ".localhost", ".internal", ".intranet", ".intra", ".lan", ".corp",
    ".home.arpa", ".private", ".localdomain",
)  # fmt: skip
INTERNAL_LABELS = frozenset({"intranet", "sharepoint", "localhost"})


def internal_host(url: str) -> str | None:
    """The host of `url` when partners outside the company cannot open it, else None: an
    IP address that is not public (private, loopback, link-local, reserved), a name with no
    dot ("intranet", "localhost"), a name under a suffix only internal networks use
    (".local", ".internal", ".corp", ".lan", …), a name with an "intranet" or "sharepoint"
    label, and SharePoint Online (*.sharepoint.com: behind the company's log-in)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return None if address.is_global else host
    labels = host.split(".")
    if len(labels) == 1 or host.endswith(INTERNAL_SUFFIXES) or host.endswith(".sharepoint.com"):
        return host
    if INTERNAL_LABELS & set(labels):
        return host
    return None


def _internal_links(facts: ProgramFacts) -> list[str]:
    messages = []
    for a in facts.assets:
        host = internal_host(a.url) if a.partner_visible and a.url else None
        if host is not None:
            messages.append(
                f"The {_lower_first(a.kind_label)} “{a.title}” is partner-visible but links to "
                f"an internal address ({host}) partners cannot open: upload the file or link "
                "to a public copy."
            )
    return messages


def _kit(facts: ProgramFacts, audience: _Audience) -> _Rule:
    if not facts.assets:
        message = "The rep kit is empty: add the brief, talk track and FAQ reps need."
        return State.EMPTY, _findings(Question.KIT, [message])
    messages = (
        _missing_kinds(facts)
        + _expired_assets(facts)
        + _unowned_assets(facts)
        + _partner_gap(facts, audience)
        + _internal_links(facts)
    )
    return _partial_unless(Question.KIT, messages)


# --- 5. targets ---------------------------------------------------------------------------


def _target_statuses(facts: ProgramFacts) -> list[str]:
    messages = []
    pending = sum(1 for t in facts.targets if t.status == "pending")
    if pending:
        messages.append(
            _count(pending, "target is", "targets are")
            + " waiting for the team leader's acknowledgement"
        )
    disputed = sum(1 for t in facts.targets if t.status == "disputed")
    if disputed:
        messages.append(
            _count(disputed, "target is", "targets are") + " disputed by the team leader"
        )
    return messages


def _targets(facts: ProgramFacts, audience: _Audience) -> _Rule:
    if not audience.present:
        message = "Pick the audience teams before setting targets."
        return State.EMPTY, _findings(Question.TARGETS, [message])
    if not facts.targets:
        message = "No targets are set: give every audience team a target."
        return State.EMPTY, _findings(Question.TARGETS, [message])
    messages = []
    covered = audience.covered({t.team_id for t in facts.targets})
    missing = len(audience.selling) - len(covered)
    if missing:
        messages.append(_of(missing, len(audience.selling), "has no target", "have no target"))
    messages.extend(_target_statuses(facts))
    return _partial_unless(Question.TARGETS, messages)


# --- 6. training --------------------------------------------------------------------------


def _late_sessions(facts: ProgramFacts) -> list[str]:
    launch = facts.launch_date
    return [
        f"The live session “{item.title}” is after the launch date."
        for item in facts.training
        if item.kind == "live"
        and item.starts_at is not None
        and launch is not None
        and item.starts_at.date() > launch
    ]


def _training(facts: ProgramFacts) -> _Rule:
    if not facts.training and not facts.has_knowledge_check:
        return State.EMPTY, _findings(Question.TRAINING, ["No training is planned."])
    messages = []
    required = [t for t in facts.training if t.required]
    minutes = sum(t.minutes for t in required)
    if minutes > facts.max_training_minutes:
        messages.append(
            f"The training needs {minutes} minutes, the limit is {facts.max_training_minutes}."
        )
    if not facts.has_knowledge_check:
        messages.append("There is no knowledge check: add one so you know reps understood.")
    if not required:
        messages.append("No training item is required.")
    messages.extend(_late_sessions(facts))
    messages.extend(
        f"The live session “{item.title}” has no joining link."
        for item in facts.training
        if item.kind == "live" and not item.has_join_link
    )
    return _partial_unless(Question.TRAINING, messages)


# --- the score ----------------------------------------------------------------------------


def _points(state: State, weight: int) -> int:
    return {State.EMPTY: 0, State.PARTIAL: weight // 2, State.COMPLETE: weight}[state]


def score(facts: ProgramFacts) -> Readiness:
    """Apply the six rules; the score is the sum of the points of the six questions."""
    audience = _Audience(facts)
    rules: dict[Question, _Rule] = {
        Question.SELL_IN: _sell_in(facts, audience),
        Question.BUY_IN: _buy_in(facts, audience),
        Question.WIIFM: _wiifm(facts),
        Question.KIT: _kit(facts, audience),
        Question.TARGETS: _targets(facts, audience),
        Question.TRAINING: _training(facts),
    }
    results = []
    for question in Question:
        state, findings = rules[question]
        weight = WEIGHTS[question]
        points = _points(state, weight)
        results.append(QuestionResult(question, state, points, weight, findings))
    return Readiness(score=sum(r.points for r in results), questions=results)
