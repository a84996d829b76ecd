"""Demo step "activity": what reps did after each launch, on the days they did it, so the
funnel tells a story and a retrospective's funnel at two weeks differs from six.

Each team of a live or closed program gets a temperament (story.Landing): champions read the
brief in a day or two, train, pass and answer the pulse high; steady teams take a week and
pass most checks; lagging teams open late if at all, fail checks, answer the pulse low and
ask the same questions again. The rows are written in bulk with their dates (what the
services would have recorded on those days), which keeps the demo loading in seconds."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.core.permissions import Role
from lockstep.enablement.models import (
    Certification,
    CheckAttempt,
    CompletionSource,
    TrainingCompletion,
)
from lockstep.feedback.models import PulseResponse, RepQuestion
from lockstep.ops.demo.story import BY_NAME, MOODS, TEMPERAMENT, Story
from lockstep.orgs.models import Membership, Organization
from lockstep.programs.models import (
    Asset,
    KnowledgeCheck,
    Program,
    ProgramStatus,
    PulseRound,
    TrainingItem,
    TrainingKind,
)
from lockstep.programs.selectors import audience_reps

DEMO_REPS = ("rep@demo.example", "partner@demo.example")  # start clean in live programs
# Mean days after launch before a rep first opens the brief, by temperament.
OPENS_AFTER = {"champion": 1.5, "steady": 5.0, "lagging": 14.0}
TRAINS_AFTER = {"champion": 2.0, "steady": 5.0, "lagging": 10.0}
PULSE_BASE = {"champion": 4.4, "steady": 3.6, "lagging": 2.3}
PULSE_TREND = {"champion": 0.05, "steady": 0.15, "lagging": -0.25}  # per round after launch

# What reps write, by theme: each objection said several ways (the themes a program's
# scorecard finds, insights.themes).
SAID = {
    "training": [
        "Too much training this month, I had no time for it.",
        "The training takes too long with a full quarter-end calendar.",
        "Need a shorter version of the training.",
        "Can the training be recorded? No time for the live session.",
    ],
    "price": [
        "Price is too high for our mid-market customers.",
        "Customers compare our price with cheaper tools.",
        "The partner price list is missing.",
        "Can we discount the price for multi-year deals?",
    ],
    "integration": [
        "Does it integrate with SAP S/4?",
        "Is there a Salesforce integration, or do customers export CSV?",
        "Which SAP versions does the integration support?",
        "Customers ask about the SAP integration before anything else.",
    ],
    "target": [
        "The target feels arbitrary for our region.",
        "Our target ignores the pipeline we already have.",
        "The target does not match the size of our territory.",
    ],
    "language": [
        "Need a talk track in my language.",
        "The talk track needs a German and a French version.",
        "Need a customer reference in my language and country.",
    ],
    "incentive": [
        "Is the accelerator paid on bookings or on revenue?",
        "When is the SPIFF paid, and on which deals?",
        "Is the SPIFF paid on deals closed by the partner's partner?",
    ],
    "praise": ["The demo sells itself.", "The one-pager makes the demo easy to pitch."],
}
# Which themes each temperament writes about in the pulse, and asks about.
COMMENTS = {
    "lagging": ["training", "training", "target", "price", "language"],
    "steady": ["price", "integration", "language"],
    "champion": ["praise"],
}
QUESTIONS = ["integration", "integration", "price", "incentive"]
ANSWER = "Yes — the details are in the updated FAQ."


def temperament(program_name: str, team_name: str, story: Story | None) -> str:
    """A team's temperament in a program: the same in every step (activity, leads)."""
    if story is not None and team_name in story.moods:
        return story.moods[team_name]
    weights = story.landing.weights if story and story.landing else None
    if weights is None:  # Atlas: it lands in some teams and not in others, by name
        if "Inside Sales" in team_name or team_name.startswith(("Boston", "London")):
            return "champion"
        weights = (3, 4, 3)
    rng = random.Random(f"{program_name}|{team_name}")  # noqa: S311 — demo data
    return rng.choices(MOODS, weights=weights)[0]


@dataclass
class History:
    """Rows to write, with their dates; `flush` writes them in a few bulk inserts."""

    org: Organization
    program: Program
    events: list[ActivityEvent] = field(default_factory=list)
    completions: list[TrainingCompletion] = field(default_factory=list)
    attempts: list[tuple[CheckAttempt, bool]] = field(default_factory=list)
    certifications: list[Certification] = field(default_factory=list)
    pulses: list[PulseResponse] = field(default_factory=list)
    questions: list[RepQuestion] = field(default_factory=list)

    def event(self, actor: Any, verb: Verb, at: dt.datetime, obj: Any = None,
              payload: dict[str, Any] | None = None) -> None:  # fmt: skip
        self.events.append(ActivityEvent(
            org=self.org, actor=actor, verb=verb, program=self.program,
            object_type=obj._meta.model_name if obj is not None else "",
            object_id=obj.pk if obj is not None else None, payload=payload or {},
            occurred_at=at))  # fmt: skip

    def flush(self) -> None:
        TrainingCompletion.objects.bulk_create(self.completions, batch_size=500)
        Certification.objects.bulk_create(self.certifications, batch_size=500)
        CheckAttempt.objects.bulk_create([a for a, _ in self.attempts], batch_size=500)
        for attempt, passed in self.attempts:  # now with their ids
            payload = {"score": attempt.score, "attempt": attempt.number}
            at = attempt.submitted_at or attempt.started_at
            self.event(attempt.user, Verb.CHECK_ATTEMPTED, at, attempt, payload)
            if passed:
                self.event(attempt.user, Verb.CHECK_PASSED, at, attempt, payload)
        PulseResponse.objects.bulk_create(self.pulses, batch_size=500)
        for pulse in self.pulses:
            pulse_payload = {"average": round(pulse.average, 2), "round": pulse.round.day_offset}
            self.event(pulse.user, Verb.PULSE_ANSWERED, pulse.updated_at, pulse, pulse_payload)
        RepQuestion.objects.bulk_create(self.questions, batch_size=500)
        for question in self.questions:
            self.event(question.asked_by, Verb.QUESTION_ASKED, question.created_at, question)
            if question.answered_at:
                self.event(question.answered_by, Verb.QUESTION_ANSWERED, question.answered_at,
                           question, {"first_answer": True})  # fmt: skip
        ActivityEvent.objects.bulk_create(self.events, batch_size=1000)


@dataclass(frozen=True)
class Plan:
    """What a program asks of its reps, loaded once."""

    program: Program
    story: Story | None
    launch: dt.datetime
    horizon: dt.datetime  # nothing happens after this: now, or the program's end
    required: list[TrainingItem]
    check: KnowledgeCheck | None
    questions: list[Any]  # the check's questions with their choices
    rounds: list[PulseRound]
    assets: list[Asset]
    marketer: Any


def plan_of(program: Program, marketer: Any, now: dt.datetime) -> Plan:
    assert program.launched_at is not None  # noqa: S101 — live and closed programs
    end = now
    if program.end_date is not None:
        end_of = dt.datetime.combine(program.end_date, dt.time(18), tzinfo=program.org.tzinfo)
        end = min(now, end_of)
    check = KnowledgeCheck.objects.filter(program=program).first()
    questions = list(check.questions.prefetch_related("choices")) if check else []
    return Plan(
        program=program, story=BY_NAME.get(program.name), launch=program.launched_at,
        horizon=end, required=list(program.training.filter(required=True)),
        check=check if questions else None, questions=questions,
        rounds=list(program.pulse_rounds.order_by("day_offset")),
        assets=list(program.assets.all()), marketer=marketer,
    )  # fmt: skip


def load_activity(org: Organization | None) -> Organization:
    if org is None:
        raise RuntimeError("the activity demo step needs the earlier steps")
    rng = random.Random(2026)  # noqa: S311 — demo data
    marketer = Membership.objects.filter(org=org, role=Role.MARKETER).order_by("id").first()
    assert marketer is not None  # noqa: S101 — the people step made four
    now = timezone.now()
    programs = Program.objects.for_org(org).filter(status=ProgramStatus.LIVE).order_by("id")
    for program in programs.select_related("org"):
        plan = plan_of(program, marketer.user, now)
        history = History(org, program)
        simulate(plan, history, rng)
        history.flush()
    return org


def later(rng: random.Random, start: dt.datetime, mean_days: float) -> dt.datetime:
    """A moment after `start`, exponentially distributed, inside working hours."""
    at = start + dt.timedelta(days=rng.expovariate(1 / mean_days))
    return at.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59))


def simulate(plan: Plan, history: History, rng: random.Random) -> None:
    moods: dict[int, str] = {}
    closed_later = plan.story is not None and plan.story.status == ProgramStatus.CLOSED
    for rep in audience_reps(plan.program).select_related("user", "team").order_by("id"):
        team = rep.team
        if team is None:
            continue
        mood = moods.setdefault(team.pk, temperament(plan.program.name, team.name, plan.story))
        if not closed_later and rep.user.email in DEMO_REPS:
            continue  # the demo logins start with a clean slate to try everything
        rep_history(plan, history, rng, rep, mood, closed_later)


def rep_history(plan: Plan, history: History, rng: random.Random, rep: Membership, mood: str,
                closed: bool) -> None:  # fmt: skip
    p = TEMPERAMENT[mood]
    user, org, program = rep.user, history.org, plan.program
    answer_pulses(plan, history, rng, rep, mood)
    if rng.random() > p + 0.05:
        return  # never opened the brief
    opened = later(rng, plan.launch, OPENS_AFTER[mood])
    if opened > plan.horizon:
        return
    history.event(user, Verb.BRIEF_OPENED, opened)
    if rng.random() < p:
        history.event(user, Verb.BRIEF_ACKNOWLEDGED, opened + dt.timedelta(minutes=7))
    if plan.assets and rng.random() < p:
        asset = rng.choice(plan.assets)
        history.event(user, Verb.ASSET_VIEWED, opened + dt.timedelta(minutes=3), asset)
    done = opened
    trained = bool(plan.required)
    for item in plan.required:
        if rng.random() >= p:
            trained = False
            continue
        at = later(rng, opened, TRAINS_AFTER[mood])
        live_session = item.kind == TrainingKind.LIVE
        if live_session and item.ends_at is not None:
            at = max(at, item.ends_at)  # attended when it took place, never before
        if at > plan.horizon:
            trained = False
            continue
        source = CompletionSource.ATTENDED if live_session else CompletionSource.SELF
        history.completions.append(TrainingCompletion(
            org=org, item=item, user=user, source=source, completed_at=at,
            recorded_by=plan.marketer if live_session else None))  # fmt: skip
        verb = Verb.TRAINING_ATTENDED if live_session else Verb.TRAINING_COMPLETED
        history.event(user, verb, at, item, {"source": source})
        done = max(done, at)
    passed_at = take_check(plan, history, rng, rep, p, done)
    if trained and passed_at is not None:
        at = max(done, passed_at)
        history.certifications.append(Certification(org=org, program=program, user=user,
                                                    certified_at=at))  # fmt: skip
        history.event(user, Verb.PROGRAM_CERTIFIED, at)
    ask(plan, history, rng, rep, mood, opened, closed)


def take_check(plan: Plan, history: History, rng: random.Random, rep: Membership, p: float,
               after: dt.datetime) -> dt.datetime | None:  # fmt: skip
    """Attempts at the knowledge check; the moment it was passed, if it was."""
    check = plan.check
    if check is None or rng.random() > p + 0.1:
        return None
    at = after
    for number in range(1, check.attempts_allowed + 1):
        at = later(rng, at, 1.0)
        if at > plan.horizon:
            return None
        right = rng.random() < p
        answers = {
            str(q.pk): [c.pk for c in q.choices.all() if c.correct] if right
            else [next(c.pk for c in q.choices.all() if not c.correct)]
            for q in plan.questions
        }  # fmt: skip
        order = {"questions": [q.pk for q in plan.questions],
                 "choices": {str(q.pk): [c.pk for c in q.choices.all()]
                             for q in plan.questions}}  # fmt: skip
        score = 100 if right else 0
        attempt = CheckAttempt(
            org=history.org, knowledge_check=check, user=rep.user, number=number, order=order,
            answers=answers, started_at=at - dt.timedelta(minutes=6), submitted_at=at,
            score=score, passed=score >= check.pass_mark,
        )  # fmt: skip
        history.attempts.append((attempt, bool(attempt.passed)))
        if attempt.passed:
            return at
        if rng.random() > 0.5:
            return None  # gave up
    return None


def answer_pulses(plan: Plan, history: History, rng: random.Random, rep: Membership,
                  mood: str) -> None:  # fmt: skip
    for index, pulse_round in enumerate(plan.rounds):
        opens = plan.launch + dt.timedelta(days=pulse_round.day_offset)
        if rng.random() > 0.75 - (0.3 if mood == "lagging" else 0):
            continue
        at = later(rng, opens, 1.5)
        if at > plan.horizon:
            continue
        base = PULSE_BASE[mood] + PULSE_TREND[mood] * index
        scores = {k: max(1, min(5, round(rng.gauss(base, 0.7))))
                  for k in ("understand", "helps", "next_steps")}  # fmt: skip
        comment = ""
        if rng.random() < {"lagging": 0.45, "steady": 0.2, "champion": 0.05}[mood]:
            comment = rng.choice(SAID[rng.choice(COMMENTS[mood])])
        history.pulses.append(PulseResponse(
            org=history.org, round=pulse_round, program=plan.program, user=rep.user,
            team=rep.team, comment=comment, created_at=at, updated_at=at, **scores))  # fmt: skip


def ask(plan: Plan, history: History, rng: random.Random, rep: Membership, mood: str,
        opened: dt.datetime, closed: bool) -> None:  # fmt: skip
    if rng.random() > {"lagging": 0.2, "steady": 0.08, "champion": 0.02}[mood]:
        return
    asked = later(rng, opened, 2.0)
    if asked > plan.horizon:
        return
    body = rng.choice(SAID[rng.choice(QUESTIONS)])
    question = RepQuestion(
        org=history.org, program=plan.program, asked_by=rep.user, body=body, created_at=asked
    )
    if rng.random() < (0.9 if closed else 0.35):
        answered = later(rng, asked, 2.5)
        if answered <= plan.horizon:
            question.answer, question.answered_by, question.answered_at = (
                ANSWER, plan.marketer, answered)  # fmt: skip
    history.questions.append(question)
