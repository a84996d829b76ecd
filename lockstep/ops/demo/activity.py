"""Demo step "activity": what happened after launch, so the funnel tells a story.

Each team of a live program gets a temperament: some clearly got it (read, trained,
passed, high pulse), some clearly did not (unread briefs, failed checks, low pulse,
unanswered questions)."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from lockstep.briefs import services as briefs
from lockstep.core.permissions import Role
from lockstep.enablement import services as enablement
from lockstep.feedback import services as feedback
from lockstep.ops.demo.checks import QUESTIONS
from lockstep.orgs.models import Membership, Organization
from lockstep.programs import services
from lockstep.programs.inputs import CheckQuestionInput
from lockstep.programs.models import (
    KnowledgeCheck,
    Program,
    ProgramStatus,
    PulseRound,
    TrainingKind,
)
from lockstep.programs.selectors import audience_reps

REP_QUESTIONS = [
    "Does it work with SAP S/4?",
    "Is there a price list for partners in EUR?",
    "Can existing customers get a trial before renewal?",
    "What do we say when a customer asks about data residency?",
    "Is the accelerator paid on bookings or on revenue?",
]
# Share of a team's reps who do each step, by temperament.
TEMPERAMENT = {"champion": 0.92, "steady": 0.65, "lagging": 0.22}


def temperament(rng: random.Random, team_name: str) -> str:
    if "Inside Sales" in team_name or team_name.startswith(("Boston", "London")):
        return "champion"
    return rng.choices(["champion", "steady", "lagging"], weights=[3, 4, 3])[0]


def load_activity(org: Organization | None) -> Organization:
    if org is None:
        raise RuntimeError("the activity demo step needs the earlier steps")
    rng = random.Random(2026)  # noqa: S311 — demo data
    marketer = Membership.objects.filter(org=org, role=Role.MARKETER).order_by("id").first()
    assert marketer is not None  # noqa: S101 — the people step made four
    for program in Program.objects.filter(org=org, status=ProgramStatus.LIVE).order_by("id"):
        check = KnowledgeCheck.objects.filter(program=program).first()
        if check is None:
            check = services.set_knowledge_check(
                program=program, acting_user=marketer.user, title="Are you ready to sell it?",
                pass_mark=80, attempts_allowed=3,
            )  # fmt: skip
        if not check.questions.exists():
            for text, kind, why, choices in QUESTIONS:
                question = CheckQuestionInput(
                    text=text, kind=kind, explanation=why, choices=tuple(choices)
                )
                services.add_check_question(check=check, acting_user=marketer.user, data=question)
        launched = timezone.make_aware(
            dt.datetime.combine(program.launch_date or timezone.localdate(), dt.time(9))
        )
        Program.objects.filter(pk=program.pk).update(launched_at=launched)
        program.refresh_from_db()
        later = PulseRound.objects.get_or_create(org=org, program=program, day_offset=7)[0]
        simulate(program, check, later, rng, marketer)
    return org


def simulate(program: Program, check: KnowledgeCheck, later: PulseRound, rng: random.Random,
             marketer: Membership) -> None:  # fmt: skip
    first = PulseRound.objects.get(program=program, day_offset=0)
    required = list(program.training.filter(required=True))
    moods: dict[int, str] = {}
    for rep in audience_reps(program).select_related("user", "team"):
        team = rep.team
        if team is None:
            continue
        mood = moods.setdefault(team.pk, temperament(rng, team.name))
        p = TEMPERAMENT[mood]
        if rep.user.email in ("rep@demo.example", "partner@demo.example"):
            continue  # the demo logins start with a clean slate to try everything
        if rng.random() > p + 0.05:
            continue  # never opened the brief
        briefs.open_brief(program=program, user=rep.user)
        if rng.random() < p:
            briefs.acknowledge_brief(program=program, user=rep.user)
        for item in required:
            if rng.random() < p:
                if item.kind == TrainingKind.LIVE:
                    enablement.mark_attendance(
                        item=item, users=[rep.user], acting_user=marketer.user, source="attended"
                    )
                else:
                    enablement.complete_module(item=item, user=rep.user)
        take_check(check, rep, p, rng)
        answer_pulses(first, later, rep, mood, rng)
        if mood == "lagging" and rng.random() < 0.15:
            question = feedback.ask_question(
                program=program, user=rep.user, body=rng.choice(REP_QUESTIONS)
            )
            if rng.random() < 0.3:
                feedback.answer_question(
                    question=question,
                    acting_user=marketer.user,
                    answer="Yes — details are in the updated FAQ.",
                )


def take_check(check: KnowledgeCheck, rep: Membership, p: float, rng: random.Random) -> None:
    if rng.random() > p + 0.1:
        return
    for _ in range(check.attempts_allowed):
        attempt = enablement.start_attempt(check=check, user=rep.user)
        right = rng.random() < p
        answers = {}
        for question in check.questions.prefetch_related("choices"):
            choices = list(question.choices.all())
            picked = (
                [c.pk for c in choices if c.correct]
                if right
                else [next(c.pk for c in choices if not c.correct)]
            )
            answers[str(question.pk)] = picked
        attempt = enablement.submit_attempt(attempt=attempt, answers=answers)
        if attempt.passed or rng.random() > 0.5:
            return


def answer_pulses(first: PulseRound, later: PulseRound, rep: Membership, mood: str,
                  rng: random.Random) -> None:  # fmt: skip
    base = {"champion": 4.4, "steady": 3.6, "lagging": 2.3}[mood]
    for pulse_round in (first, later):
        if rng.random() > 0.75:
            continue
        scores = {k: max(1, min(5, round(rng.gauss(base, 0.7))))
                  for k in ("understand", "helps", "next_steps")}  # fmt: skip
        comment = (
            ""
            if mood != "lagging" or rng.random() > 0.3
            else rng.choice(
                [
                    "Not sure how this fits my accounts.",
                    "The target feels arbitrary for our region.",
                    "Need a talk track in my language.",
                    "Too much training this month.",
                ]
            )
        )
        feedback.answer_pulse(
            pulse_round=pulse_round, membership=rep, scores=scores, comment=comment
        )
