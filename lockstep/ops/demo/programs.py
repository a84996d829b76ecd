"""Demo step "programs": the twelve programs of `story.PROGRAMS`, each with a real sell-in
plan and taken through its lifecycle the way the product asks — a preview round, an
audience leader's endorsement, then ready and live. One program (APAC webinar series, long
closed) went live on an owner's exception to the gate; it is the only one.

Drafts have low readiness and real findings; the Data Residency launch is in preview with
feedback; Analytics Copilot is in preview waiting for the demo leader's endorsement and for
her team's target; closed programs go live here and close in the "insights" step, once
their history (activity, leads) has happened."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.core.permissions import Role
from lockstep.ops.demo.checks import QUESTIONS
from lockstep.ops.demo.story import PROGRAMS, Story
from lockstep.orgs.models import Channel, Membership, Organization, Team
from lockstep.orgs.selectors import leader_team_ids
from lockstep.programs import services
from lockstep.programs.inputs import (
    ActivityInput,
    AssetInput,
    CheckQuestionInput,
    ProgramInput,
    TrainingInput,
    WiifmInput,
)
from lockstep.programs.models import Endorsement, Program, ProgramStatus, PulseRound
from lockstep.programs.selectors import selling_team_ids

ONE_PAGER = """Atlas 3.0 — one-pager

What: Atlas 3.0 adds real-time dashboards and AI-written insights.
Who buys: heads of analytics and finance at companies of 200–5,000 people.
Why now: Atlas 2.x customers renew in Q1; 3.0 is the reason to expand.
Talk track: "What does your team do on Monday morning with last week's numbers?"
"""
DEMO_LEADER = "leader@demo.example"
# Leads a rep of a steady team turns into opportunities per week (see leads.py).
STEADY_OPPORTUNITIES = 0.9 * 0.25
INCENTIVES = {
    "accelerator": ("accelerator", Decimal("2.00"), "EUR",
                    "Every deal that includes it pays 2× commission this quarter, and it "
                    "opens the renewal conversation you need anyway."),
    "spiff": ("spiff", Decimal("500"), "EUR",
              "A €500 SPIFF for every qualified opportunity, paid with next month's salary."),
    "none": ("none", None, "",
             "It opens the renewal conversation you need anyway, and customers ask for it."),
}  # fmt: skip
FEEDBACK = {
    "EMEA Data Residency launch": [
        ("Which customers already asked for this? Give us three names per country.", True),
        ("The talk track needs a German version before launch.", False),
    ],
    "Analytics Copilot early access": [
        ("Can design partners keep the price after early access ends?", True),
        ("We need a demo environment with our own data, not the sample one.", False),
    ],
}


class Builder:
    def __init__(self, org: Organization) -> None:
        self.org = org
        self.rng = random.Random(7)  # noqa: S311 — demo data
        self.marketers = [
            m.user for m in Membership.objects.filter(org=org, role=Role.MARKETER).order_by("id")
        ]
        owner = Membership.objects.for_org(org).filter(role=Role.OWNER).first()
        if owner is None:
            raise RuntimeError("the programs demo step needs the people step first")
        self.owner = owner.user
        self.today = timezone.localdate()
        self.teams = {t.name: t for t in Team.objects.for_org(org)}
        self.headcount: dict[int, int] = dict(
            Membership.objects.for_org(org)
            .filter(role__in=[Role.REP, Role.PARTNER_REP])
            .values_list("team_id")
            .annotate(n=Count("id"))
            .values_list("team_id", "n")
        )

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def audience(self, story: Story) -> list[Team]:
        teams = Team.objects.for_org(self.org)
        if story.audience == "all":
            return list(teams.filter(parent=None).order_by("name"))
        if story.audience == "partners":
            return list(teams.filter(channel=Channel.PARTNER).order_by("name"))
        if story.audience == "inside sales":
            return [t for n, t in sorted(self.teams.items()) if n.endswith("Inside Sales")]
        return [self.teams[name] for name in story.audience.split("|")]

    def program(self, story: Story) -> Program:
        marketer = self.marketers[story.marketer]
        data = ProgramInput(
            audience=tuple(self.audience(story)),
            name=story.name,
            kind=story.kind,
            owner=marketer,
            launch_date=self.day(story.launch),
            end_date=self.day(story.launch + story.weeks * 7),
            summary=story.summary,
            campaign_codes=story.codes,
        )
        return services.create_program(org=self.org, acting_user=marketer, data=data)

    def target_value(self, story: Story, team: Team) -> Decimal:
        """Opportunities a team of steady reps would bring over the target's period, times
        the story's `target_per_rep`: champions beat it, laggards miss it."""
        if story.landing is None:
            return Decimal(self.rng.choice([8, 10, 12, 15]))
        weeks = story.weeks if story.period == "program" else 13
        per_rep = story.landing.leads_per_rep_week * weeks * STEADY_OPPORTUNITIES
        reps = self.headcount.get(team.pk, 0)
        return Decimal(max(2, math.ceil(reps * per_rep * story.landing.target_per_rep)))

    def plan(self, program: Program, story: Story) -> None:
        """Answer the six questions; an incomplete story leaves realistic gaps."""
        complete, launch = story.complete, story.launch
        user = program.owner or self.marketers[0]
        selling = list(Team.objects.filter(pk__in=selling_team_ids(program)).order_by("name"))
        audience = list(program.audience.all())
        services.add_activity(program=program, acting_user=user, data=ActivityInput(
            kind="kickoff", date=self.day(launch - 10), teams=tuple(audience), owner=user,
            notes="All-hands kickoff, 30 minutes, recorded."))  # fmt: skip
        services.add_activity(program=program, acting_user=user, data=ActivityInput(
            kind="cascade", date=self.day(launch - 5),
            teams=tuple(audience if complete else audience[:1]), owner=user,
            notes="Leaders run it in their team meeting with the talk track."))  # fmt: skip
        kind, amount, currency, statement = INCENTIVES[story.incentive]
        proof = (
            "- Pilot customers expanded **34%** on renewal\n"
            "- Average sales cycle 18 days shorter with the demo"
        )
        services.save_wiifm(program=program, acting_user=user, data=WiifmInput(
            wiifm=statement, incentive_kind=kind, incentive_amount=amount,
            incentive_currency=currency,
            proof_points=proof if complete and story.proof_points else ""))  # fmt: skip
        kinds = [("brief", "One-pager"), ("talk_track", "Talk track"),
                 ("faq", "FAQ & objections"), ("battlecard", "Competitive battlecard")]  # fmt: skip
        for asset_kind, title in kinds if complete else kinds[:2]:
            expired = not complete and asset_kind == "talk_track"
            shared = asset_kind != "battlecard"  # partners get a public copy, not the intranet's
            host = "partners.northwind.example" if shared else "intranet.example"
            services.add_asset(program=program, acting_user=user, data=AssetInput(
                kind=asset_kind, title=f"{program.name}: {title}",
                url=f"https://{host}/kits/{program.pk}/{asset_kind}", owner=user,
                expires_on=self.day(-20) if expired else self.day(120),
                partner_visible=shared))  # fmt: skip
        for team in selling if complete else selling[: len(selling) // 2]:
            services.add_target(
                program=program, acting_user=user, team=team, metric="opportunities",
                value=self.target_value(story, team), period=story.period,
            )  # fmt: skip
        services.add_training(program=program, acting_user=user, data=TrainingInput(
            kind="live", title="Live walkthrough",
            starts_at=timezone.now() + dt.timedelta(days=launch - 3), duration_minutes=30,
            join_url="https://meet.example/lockstep-demo", required=True))  # fmt: skip
        minutes = story.training_minutes if complete else 65
        services.add_training(program=program, acting_user=user, data=TrainingInput(
            kind="self_paced", title="Objection handling module", duration_minutes=minutes,
            content_url="https://learn.example/module", required=True))  # fmt: skip
        if complete or story.exception:
            check = services.set_knowledge_check(
                program=program, acting_user=user, title="Are you ready to sell it?",
                pass_mark=80, attempts_allowed=3,
            )  # fmt: skip
            for text, qkind, why, choices in QUESTIONS:
                question = CheckQuestionInput(
                    text=text, kind=qkind, explanation=why, choices=tuple(choices)
                )
                services.add_check_question(check=check, acting_user=user, data=question)

    def buy_in(self, program: Program, *, endorse: bool = True, skip: str = "") -> None:
        """Champions in every selling team; audience leaders endorse (at least one) and
        acknowledge their targets — except the leader named in `skip`."""
        selling = list(Team.objects.filter(pk__in=selling_team_ids(program)).order_by("name"))
        selling_ids = {t.pk for t in selling}
        leaders = (
            Membership.objects.filter(org=self.org, role=Role.SALES_LEADER)
            .select_related("user")
            .order_by("id")
        )
        endorsed = 0
        for leader in leaders:
            if not endorse or leader.user.email == skip:
                continue
            if leader_team_ids(leader) & selling_ids and (not endorsed or self.rng.random() < 0.4):
                services.endorse(program=program, membership=leader, comment="My team is in.")
                endorsed += 1
        for team in selling:
            rep = Membership.objects.filter(org=self.org, team=team).order_by("id").first()
            if rep:
                services.add_champion(program=program, acting_user=self.marketers[0], member=rep)
        for target in program.targets.select_related("team"):
            team_leader = Membership.objects.filter(org=self.org, led_teams=target.team).first()
            if team_leader and team_leader.user.email != skip:
                services.respond_target(
                    target=target, membership=team_leader, status="acknowledged"
                )

    def go(self, program: Program, *statuses: str, exception: bool = False) -> Program:
        """Move through the lifecycle; the gate must pass unless the story is the owner's
        exception (a demo that silently overrides its own gate would teach the wrong thing)."""
        for status in statuses:
            if exception and status in (ProgramStatus.READY, ProgramStatus.LIVE):
                program = services.transition(
                    program=program, acting_user=self.owner, to=status, acting_role=Role.OWNER,
                    override_reason="Board date fixed: launching, gaps closed in week one.",
                )  # fmt: skip
            else:
                program = services.transition(
                    program=program, acting_user=self.marketers[0], to=status
                )
        return program

    def feedback(self, program: Program) -> None:
        region = program.audience.first()
        voices = list(
            Membership.objects.filter(org=self.org, role=Role.SALES_LEADER,
                                      led_teams__parent=region).exclude(user__email=DEMO_LEADER)
            .order_by("id")[:1]
        ) + list(Membership.objects.filter(org=self.org, role=Role.REP, team__parent=region)
                 .order_by("id")[:1])  # fmt: skip
        for membership, (body, answered) in zip(voices, FEEDBACK.get(program.name, []),
                                                strict=False):  # fmt: skip
            item = services.give_feedback(program=program, membership=membership, body=body)
            if answered:
                services.respond_feedback(
                    item=item, acting_user=program.owner or self.marketers[0],
                    response="Added to the FAQ: yes, for twelve months.", addressed=True,
                )  # fmt: skip

    def launched(self, program: Program, story: Story) -> None:
        """Launch day at 09:00, the pulse schedule, and the lifecycle events at the dates
        they happened (services record them now; the demo's history is older)."""
        launch = dt.datetime.combine(self.day(story.launch), dt.time(9), tzinfo=self.org.tzinfo)
        Program.objects.filter(pk=program.pk).update(launched_at=launch)
        days = story.landing.pulse_days if story.landing else (0,)
        for offset in days:
            PulseRound.objects.update_or_create(
                org=self.org, program=program, day_offset=offset,
                defaults={"sent_at": min(launch + dt.timedelta(days=offset), timezone.now())},
            )  # fmt: skip
        backdate(program, launch)


def backdate(program: Program, launch: dt.datetime) -> None:
    when = {
        Verb.PROGRAM_CREATED: launch - dt.timedelta(days=40),
        Verb.PROGRAM_PREVIEW: launch - dt.timedelta(days=21),
        Verb.PROGRAM_ENDORSED: launch - dt.timedelta(days=14),
        Verb.PREVIEW_FEEDBACK: launch - dt.timedelta(days=18),
        Verb.TARGET_ACKNOWLEDGED: launch - dt.timedelta(days=12),
        Verb.PROGRAM_READY: launch - dt.timedelta(days=5),
        Verb.PROGRAM_LIVE: launch,
    }
    for verb, at in when.items():
        ActivityEvent.objects.filter(program=program, verb=verb).update(occurred_at=at)
    Endorsement.objects.filter(program=program).update(created_at=launch - dt.timedelta(days=14))


def load_programs(org: Organization | None) -> Organization:
    if org is None:
        raise RuntimeError("the programs demo step needs the people step first")
    b = Builder(org)
    for story in PROGRAMS:
        program = b.program(story)
        if story.status == ProgramStatus.DRAFT:
            b.plan(program, story)
            continue
        b.plan(program, story)
        if story.name == "Atlas 3.0 launch":
            add_one_pager(b, program)
        if story.exception:  # the one program launched on an owner's exception
            program = b.go(program, "ready", "live", exception=True)
            b.launched(program, story)
            continue
        program = b.go(program, ProgramStatus.PREVIEW)
        if story.status == ProgramStatus.PREVIEW:
            b.feedback(program)
            if story.complete:  # Copilot: everything but the demo leader's word
                b.buy_in(program, endorse=False, skip=DEMO_LEADER)
            continue
        b.buy_in(program)
        program = b.go(program, ProgramStatus.READY)
        if story.status == ProgramStatus.READY:
            continue
        program = b.go(program, ProgramStatus.LIVE)
        b.launched(program, story)
    return org


def add_one_pager(b: Builder, program: Program) -> None:
    one_pager = AssetInput(
        kind="collateral", title="Atlas 3.0 customer one-pager",
        file=SimpleUploadedFile("atlas-3-one-pager.txt", ONE_PAGER.encode(),
                                content_type="text/plain"),
        owner=b.marketers[0], expires_on=b.day(150), partner_visible=True,
    )  # fmt: skip
    services.add_asset(program=program, acting_user=b.marketers[0], data=one_pager)


def regions(org: Organization) -> list[str]:
    return list(
        Team.objects.for_org(org)
        .filter(parent=None)
        .order_by("name")
        .values_list("name", flat=True)
    )


def story_of(program: Program) -> Any:
    from lockstep.ops.demo.story import BY_NAME

    return BY_NAME.get(program.name)
