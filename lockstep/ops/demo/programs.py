"""Demo step "programs": ten programs across every status, with real sell-in plans.

Drafts have low readiness and real findings; one program is in preview with feedback;
live ones have kits, targets and training; closed ones show what finished looks like."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.briefs import services as briefs
from lockstep.core.permissions import Role
from lockstep.ops.demo.checks import QUESTIONS
from lockstep.orgs.models import Membership, Organization, Team
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
from lockstep.programs.models import Program
from lockstep.programs.selectors import audience_reps, selling_team_ids

ONE_PAGER = """Atlas 3.0 — one-pager

What: Atlas 3.0 adds real-time dashboards and AI-written insights.
Who buys: heads of analytics and finance at companies of 200–5,000 people.
Why now: Atlas 2.x customers renew in Q1; 3.0 is the reason to expand.
Talk track: "What does your team do on Monday morning with last week's numbers?"
"""


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

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def program(self, name: str, kind: str, audience: list[str], launch: int, **kw: Any) -> Program:
        marketer = kw.pop("marketer", self.marketers[0])
        data = ProgramInput(
            audience=tuple(self.teams[n] for n in audience),
            name=name,
            kind=kind,
            owner=marketer,
            launch_date=self.day(launch),
            end_date=self.day(launch + kw.pop("weeks", 12) * 7),
            summary=kw.pop("summary", ""),
            campaign_codes=tuple(kw.pop("codes", [])),
        )
        return services.create_program(org=self.org, acting_user=marketer, data=data)

    def plan(self, program: Program, *, complete: bool = True, launch: int = 0) -> None:
        """Answer the six questions; `complete=False` leaves realistic gaps."""
        user = program.owner or self.marketers[0]
        selling = list(Team.objects.filter(pk__in=selling_team_ids(program)))
        audience = list(program.audience.all())
        kickoff = ActivityInput(
            kind="kickoff",
            date=self.day(launch - 10),
            teams=tuple(audience),
            owner=user,
            notes="All-hands kickoff, 30 minutes, recorded.",
        )
        services.add_activity(program=program, acting_user=user, data=kickoff)
        cascade = ActivityInput(
            kind="cascade",
            date=self.day(launch - 5),
            teams=tuple(audience if complete else audience[:1]),
            owner=user,
            notes="Leaders run it in their team meeting with the talk track.",
        )
        services.add_activity(program=program, acting_user=user, data=cascade)
        wiifm = WiifmInput(
            wiifm="Every deal that includes it pays 2× commission this quarter, and it "
            "opens the renewal conversation you need anyway.",
            incentive_kind="accelerator",
            incentive_amount=Decimal("2.00"),
            incentive_currency="EUR",
            proof_points="- Pilot customers expanded **34%** on renewal\n"
            "- Average sales cycle 18 days shorter with the demo"
            if complete
            else "",
        )
        services.save_wiifm(program=program, acting_user=user, data=wiifm)
        kinds = [
            ("brief", "One-pager"),
            ("talk_track", "Talk track"),
            ("faq", "FAQ & objections"),
            ("battlecard", "Competitive battlecard"),
        ]
        for kind, title in kinds if complete else kinds[:2]:
            expired = not complete and kind == "talk_track"
            asset = AssetInput(
                kind=kind,
                title=f"{program.name}: {title}",
                url=f"https://intranet.example/kits/{program.pk}/{kind}",
                owner=user,
                expires_on=self.day(-20) if expired else self.day(120),
                partner_visible=kind != "battlecard",
            )
            services.add_asset(program=program, acting_user=user, data=asset)
        for team in selling if complete else selling[: len(selling) // 2]:
            services.add_target(
                program=program,
                acting_user=user,
                team=team,
                metric="opportunities",
                value=Decimal(self.rng.choice([8, 10, 12, 15])),
                period="quarter",
            )
        live = TrainingInput(
            kind="live",
            title="Live walkthrough",
            starts_at=timezone.now() + dt.timedelta(days=launch - 3),
            duration_minutes=30,
            join_url="https://meet.example/lockstep-demo",
            required=True,
        )
        services.add_training(program=program, acting_user=user, data=live)
        module = TrainingInput(
            kind="self_paced",
            title="Objection handling module",
            duration_minutes=20 if complete else 65,
            content_url="https://learn.example/module",
            required=True,
        )
        services.add_training(program=program, acting_user=user, data=module)
        if complete:
            check = services.set_knowledge_check(
                program=program,
                acting_user=user,
                title="Are you ready to sell it?",
                pass_mark=80,
                attempts_allowed=3,
            )
            for text, kind, why, choices in QUESTIONS:
                question = CheckQuestionInput(
                    text=text, kind=kind, explanation=why, choices=tuple(choices)
                )
                services.add_check_question(check=check, acting_user=user, data=question)
            self.buy_in(program, selling)

    def buy_in(self, program: Program, selling: list[Team]) -> None:
        leaders = Membership.objects.filter(org=self.org, role=Role.SALES_LEADER)
        for leader in leaders:
            if leader_team_ids(leader) & {t.pk for t in selling} and self.rng.random() < 0.6:
                if not program.endorsements.filter(leader=leader.user).exists():
                    services.endorse(program=program, membership=leader, comment="My team is in.")
        for team in selling:
            rep = Membership.objects.filter(org=self.org, team=team).order_by("id").first()
            if rep:
                services.add_champion(program=program, acting_user=self.marketers[0], member=rep)
        for target in program.targets.all():
            team_leader = Membership.objects.filter(org=self.org, led_teams=target.team).first()
            if team_leader:
                services.respond_target(
                    target=target, membership=team_leader, status="acknowledged"
                )

    def go(self, program: Program, *statuses: str) -> Program:
        for status in statuses:
            try:
                program = services.transition(
                    program=program, acting_user=self.marketers[0], to=status
                )
            except services.GateRefused:
                program = services.transition(
                    program=program,
                    acting_user=self.owner,
                    to=status,
                    acting_role=Role.OWNER,
                    override_reason="Board date fixed: launching, gaps closed in week one.",
                )
        return program


def regions(org: Organization) -> list[str]:
    return list(
        Team.objects.for_org(org)
        .filter(parent=None)
        .order_by("name")
        .values_list("name", flat=True)
    )


def load_programs(org: Organization | None) -> Organization:
    if org is None:
        raise RuntimeError("the programs demo step needs the people step first")
    b = Builder(org)
    all_regions = regions(org)
    atlas = b.program(
        "Atlas 3.0 launch",
        "product_launch",
        all_regions,
        -14,
        weeks=16,
        codes=["ATLAS3-LAUNCH"],
        summary="**Atlas 3.0** brings real-time dashboards and AI-written insights to every "
        "customer on the Growth plan.\n\n- Lead with the Monday-morning question\n"
        "- Expansion first: existing Atlas 2.x accounts\n- New logos: mid-market analytics teams",
    )
    b.plan(atlas, launch=-14)
    one_pager = AssetInput(
        kind="collateral",
        title="Atlas 3.0 customer one-pager",
        file=SimpleUploadedFile(
            "atlas-3-one-pager.txt", ONE_PAGER.encode(), content_type="text/plain"
        ),
        owner=b.marketers[0],
        expires_on=b.day(150),
        partner_visible=True,
    )
    services.add_asset(program=atlas, acting_user=b.marketers[0], data=one_pager)
    atlas = b.go(atlas, "preview", "ready", "live")

    cloud = b.program(
        "Q4 Cloud Migration campaign",
        "campaign",
        ["North America East", "North America West"],
        -7,
        codes=["Q4-CLOUD"],
        summary="A 10-week campaign offering a free migration assessment.",
    )
    b.plan(cloud, launch=-7)
    cloud = b.go(cloud, "ready", "live")

    partner_teams = list(
        Team.objects.for_org(org).filter(channel="partner").values_list("name", flat=True)
    )
    spiff = b.program(
        "Partner Accelerate SPIFF",
        "pricing_change",
        partner_teams,
        -21,
        weeks=8,
        codes=["PARTNER-SPIFF"],
        summary="Partners earn a SPIFF of €500 per new Growth-plan deal.",
    )
    b.plan(spiff, launch=-21, complete=False)
    spiff = b.go(spiff, "ready", "live")

    security = b.program(
        "Security Essentials training",
        "product_training",
        ["EMEA North", "EMEA South"],
        5,
        summary="Certify every EMEA rep on the security add-on before the December push.",
    )
    b.plan(security, launch=5)
    b.go(security, "preview", "ready")

    residency = b.program(
        "EMEA Data Residency launch",
        "product_launch",
        ["EMEA North"],
        21,
        marketer=b.marketers[1],
        codes=["EMEA-RESIDENCY"],
        summary="EU-hosted data for regulated customers. Draft brief: tell us what is missing.",
    )
    b.plan(residency, launch=21, complete=False)
    residency = b.go(residency, "preview")
    feedback_from = Membership.objects.filter(
        org=org, role__in=[Role.SALES_LEADER, Role.REP], team__parent__name="EMEA North"
    ).order_by("id")[:1]
    leader = Membership.objects.filter(
        org=org, role=Role.SALES_LEADER, led_teams__name="EMEA North"
    ).first()
    voices = [m for m in [leader, *feedback_from] if m]
    bodies = [
        "Which customers already asked for this? Give us three names per country.",
        "The talk track needs a German version before launch.",
    ]
    for membership, body in zip(voices, bodies, strict=False):
        item = services.give_feedback(program=residency, membership=membership, body=body)
        if body.startswith("Which"):
            services.respond_feedback(
                item=item,
                acting_user=b.marketers[1],
                response="Added a reference list to the FAQ.",
                addressed=True,
            )

    bundle = b.program(
        "Mid-market bundle pricing",
        "pricing_change",
        ["North America West"],
        35,
        marketer=b.marketers[2],
        summary="New bundle price for 50–200 seat deals.",
    )
    b.plan(bundle, launch=35, complete=False)
    b.program(
        "APAC webinar series",
        "lead_generation",
        ["APAC"],
        60,
        marketer=b.marketers[1],
        codes=["APAC-WEBINARS"],
    )
    copilot = b.program(
        "Analytics Copilot early access",
        "product_launch",
        ["North America East"],
        45,
        summary="Early access for 20 design-partner customers.",
    )
    early = WiifmInput(
        wiifm="Early-access deals count double toward your Q1 quota.",
        incentive_kind="quota_credit",
        incentive_amount=Decimal("2"),
        incentive_currency="USD",
    )
    services.save_wiifm(program=copilot, acting_user=b.marketers[0], data=early)

    summer = b.program(
        "Summer promo 2026", "campaign", all_regions, -150, weeks=10, codes=["SUMMER26"]
    )
    b.plan(summer, launch=-150)
    b.go(summer, "ready", "live", "closed")
    blitz = b.program(
        "Inside sales renewal blitz",
        "campaign",
        [n for n in b.teams if n.endswith("Inside Sales")],
        -90,
        weeks=6,
    )
    b.plan(blitz, launch=-90)
    b.go(blitz, "ready", "live", "closed")
    rep_activity(org, [atlas, cloud, spiff])
    return org


def rep_activity(org: Organization, programs: list[Program]) -> None:
    """Some reps opened and acknowledged live briefs (the enablement step adds much more)."""
    rng = random.Random(11)  # noqa: S311 — demo data
    named = set(User.objects.filter(email__in=["rep@demo.example", "partner@demo.example"]))
    for program in programs:
        for membership in audience_reps(program).select_related("user"):
            if membership.user in named or rng.random() > 0.7:
                continue
            briefs.open_brief(program=program, user=membership.user)
            if rng.random() < 0.6:
                briefs.acknowledge_brief(program=program, user=membership.user)
