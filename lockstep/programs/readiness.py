"""The readiness score: pure functions over plain facts, no database access.

`collect_facts` (in services) turns a program into `ProgramFacts`; `score(facts)` applies
the rules documented in docs/readiness.md and returns a 0–100 score, the state of each of
the six questions and plain-language findings, each pointing at the section that fixes it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


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


@dataclass(frozen=True)
class ProgramFacts:
    today: dt.date
    launch_date: dt.date | None
    # The org's teams that matter: the chosen audience, their ancestors and descendants.
    teams: dict[int, TeamFact]
    audience_ids: frozenset[int]  # as chosen, before expanding regions
    activities: list[ActivityFact] = field(default_factory=list)
    endorsement_count: int = 0
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


Rule = tuple[State, list[str]]

INCENTIVE_NAMES = {
    "spiff": "SPIFF",
    "accelerator": "commission accelerator",
    "quota_credit": "quota credit",
    "other": "incentive",
}


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _of(part: int, whole: int, singular: str, plural: str) -> str:
    """ "1 of 7 audience teams has no target" / "2 of 7 audience teams have no target"."""
    return f"{part} of {whole} audience teams {singular if part == 1 else plural}"


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


class Audience:
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

    def lineage(self, team_id: int) -> set[int]:
        """The team and all its ancestors."""
        found: set[int] = set()
        current: int | None = team_id
        while current is not None and current not in found and current in self.teams:
            found.add(current)
            current = self.teams[current].parent_id
        return found

    def covered(self, by: set[int]) -> set[int]:
        """Selling teams reached by `by` directly or through an ancestor."""
        return {t for t in self.selling if self.lineage(t) & by}


def _sell_in(facts: ProgramFacts, audience: Audience) -> Rule:
    messages = []
    if not audience.selling:
        messages.append("No audience teams are picked: choose who this program is for.")
    if not facts.activities:
        messages.append(
            "No sell-in activity is planned: add a kickoff, a manager cascade, a roadshow "
            "or a webinar before launch."
        )
        return State.EMPTY, messages
    reached = audience.covered({t for a in facts.activities for t in a.team_ids})
    missing = len(audience.selling) - len(reached)
    if missing:
        total = len(audience.selling)
        messages.append(
            _of(missing, total, "is not reached", "are not reached") + " by any sell-in activity"
        )
    if facts.launch_date is not None:
        for activity in facts.activities:
            if activity.date > facts.launch_date:
                messages.append(
                    f"The {activity.kind_label.lower()} on {_date(activity.date)} is after "
                    f"the launch date ({_date(facts.launch_date)})"
                )
    return (State.PARTIAL if messages else State.COMPLETE), messages


def _buy_in(facts: ProgramFacts, audience: Audience) -> Rule:
    messages = []
    endorsed = facts.endorsement_count >= 1
    if not endorsed:
        messages.append("No sales leader has endorsed this program yet.")
    championed = audience.selling & set(facts.champion_team_ids)
    missing = len(audience.selling) - len(championed)
    if missing:
        messages.append(_of(missing, len(audience.selling), "has no champion", "have no champion"))
    if facts.open_feedback_count:
        n = facts.open_feedback_count
        messages.append(
            _count(n, "preview feedback item is", "preview feedback items are")
            + " not answered yet"
        )
    if not messages:
        return State.COMPLETE, messages
    if not endorsed and not championed:
        return State.EMPTY, messages
    return State.PARTIAL, messages


def _wiifm(facts: ProgramFacts) -> Rule:
    if not facts.wiifm.strip():
        return State.EMPTY, [
            "The WIIFM statement is empty: say in the rep's words what is in it for them."
        ]
    messages = []
    if not facts.proof_points.strip():
        messages.append(
            "Add proof points: customer results or numbers that make the WIIFM credible."
        )
    if facts.incentive_kind != "none":
        amount_ok = facts.incentive_amount is not None and facts.incentive_amount > 0
        currency_ok = len(facts.incentive_currency.strip()) == 3
        if not (amount_ok and currency_ok):
            name = INCENTIVE_NAMES.get(facts.incentive_kind, "incentive")
            messages.append(f"The {name} has no amount or currency.")
    return (State.PARTIAL if messages else State.COMPLETE), messages


def _kit(facts: ProgramFacts, audience: Audience) -> Rule:
    if not facts.assets:
        return State.EMPTY, ["The rep kit is empty: add the brief, talk track and FAQ reps need."]
    valid = [a for a in facts.assets if a.expires_on is None or a.expires_on >= facts.today]
    messages = []
    for kind, label in facts.required_asset_kinds:
        if not any(a.kind == kind for a in valid):
            messages.append(f"No {_lower_first(label)} in the kit (required).")
    if not facts.required_asset_kinds and not valid:
        messages.append("Every asset in the kit has expired.")
    for asset in facts.assets:
        if asset.expires_on is not None and asset.expires_on < facts.today:
            messages.append(
                f"The {_lower_first(asset.kind_label)} “{asset.title}” expired on "
                f"{_date(asset.expires_on)}."
            )
    partners = any(facts.teams[t].channel == "partner" for t in audience.selling)
    if partners and not any(a.partner_visible for a in valid):
        messages.append("Partner teams are in the audience but no asset is partner-visible.")
    return (State.PARTIAL if messages else State.COMPLETE), messages


def _targets(facts: ProgramFacts, audience: Audience) -> Rule:
    if not audience.selling:
        return State.EMPTY, ["Pick the audience teams before setting targets."]
    if not facts.targets:
        return State.EMPTY, ["No targets are set: give every audience team a target."]
    messages = []
    covered = audience.covered({t.team_id for t in facts.targets})
    missing = len(audience.selling) - len(covered)
    if missing:
        messages.append(_of(missing, len(audience.selling), "has no target", "have no target"))
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
    return (State.PARTIAL if messages else State.COMPLETE), messages


def _training(facts: ProgramFacts) -> Rule:
    if not facts.training and not facts.has_knowledge_check:
        return State.EMPTY, ["No training is planned."]
    messages = []
    required = [t for t in facts.training if t.required]
    minutes = sum(t.minutes for t in required)
    if not required:
        messages.append("No training item is required.")
    if minutes > facts.max_training_minutes:
        messages.append(
            f"The training needs {minutes} minutes, the limit is {facts.max_training_minutes}."
        )
    if not facts.has_knowledge_check:
        messages.append("There is no knowledge check: add one so you know reps understood.")
    for item in facts.training:
        starts = item.starts_at.date() if item.starts_at else None
        if item.kind == "live" and starts and facts.launch_date and starts > facts.launch_date:
            messages.append(f"The live session “{item.title}” is after the launch date.")
    return (State.PARTIAL if messages else State.COMPLETE), messages


def _points(state: State, weight: int) -> int:
    return {State.EMPTY: 0, State.PARTIAL: weight // 2, State.COMPLETE: weight}[state]


def score(facts: ProgramFacts) -> Readiness:
    audience = Audience(facts)
    rules: dict[Question, Rule] = {
        Question.SELL_IN: _sell_in(facts, audience),
        Question.BUY_IN: _buy_in(facts, audience),
        Question.WIIFM: _wiifm(facts),
        Question.KIT: _kit(facts, audience),
        Question.TARGETS: _targets(facts, audience),
        Question.TRAINING: _training(facts),
    }
    results = []
    for question in Question:
        state, messages = rules[question]
        if question == Question.SELL_IN and not audience.selling and state == State.COMPLETE:
            state = State.PARTIAL
        weight = WEIGHTS[question]
        results.append(
            QuestionResult(
                question=question,
                state=state,
                points=_points(state, weight),
                weight=weight,
                findings=[Finding(question, m) for m in messages],
            )
        )
    return Readiness(score=sum(r.points for r in results), questions=results)
