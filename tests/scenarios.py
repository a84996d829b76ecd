"""Shared scenarios for the tests: a program with a complete plan, a live program with a
check, a lead. Tests import these (and factories), never helpers from other test modules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.events import Verb
from lockstep.core.permissions import Role
from lockstep.core.services import emit_event
from lockstep.orgs import services as orgs
from lockstep.orgs.models import Invitation, Team
from lockstep.programs import services
from lockstep.programs.inputs import (
    ActivityInput,
    AssetInput,
    CheckQuestionInput,
    ProgramInput,
    TrainingInput,
    WiifmInput,
)
from lockstep.programs.models import (
    KnowledgeCheck,
    Program,
    ProgramStatus,
    TargetMetric,
    TargetPeriod,
    TrainingItem,
)
from lockstep.results import services as results
from lockstep.results.models import Lead, LeadStatus, Outcome, RejectionReason, TouchKind
from tests.conftest import World
from tests.factories import (
    ActivityEventFactory,
    CheckAttemptFactory,
    KnowledgeCheckFactory,
    LeadTouchFactory,
    MembershipFactory,
    OpportunityFactory,
    ProgramFactory,
    TargetFactory,
    TeamFactory,
    TrainingCompletionFactory,
    TrainingItemFactory,
)

TODAY = timezone.localdate()
MONDAY_9 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
SECRET_EXPLANATION = "Because the pilot customers expanded by a third"


def make_program(world: World, status: str = ProgramStatus.DRAFT, **kw: Any) -> Program:
    data = ProgramInput(
        audience=tuple(kw.pop("audience", [world.region])),
        name=kw.pop("name", "Atlas launch"),
        kind="product_launch",
        owner=world.marketer,
        launch_date=TODAY + dt.timedelta(days=10),
        end_date=TODAY + dt.timedelta(days=90),
        summary="**Atlas** is new.",
        campaign_codes=tuple(kw.pop("campaign_codes", [])),
    )
    program = services.create_program(org=world.org, acting_user=world.marketer, data=data)
    Program.objects.filter(pk=program.pk).update(status=status)
    program.refresh_from_db()
    return program


def complete_plan(world: World, program: Program) -> None:
    """Answer all six questions fully (the audience is the EMEA region) and record that
    sales saw it in a preview round."""
    m = world.marketer
    emit_event(org=world.org, actor=m, verb=Verb.PROGRAM_PREVIEW, program_id=program.pk)
    services.add_activity(
        program=program,
        acting_user=m,
        data=ActivityInput(kind="kickoff", date=TODAY, teams=(world.region,), owner=m),
    )
    leader = world.membership(world.leader)
    services.endorse(program=program, membership=leader)
    for member in (world.membership(world.rep), world.membership(world.partner)):
        services.add_champion(program=program, acting_user=m, member=member)
    wiifm = WiifmInput(wiifm="Double commission", incentive_kind="none", proof_points="Pilots +30%")
    services.save_wiifm(program=program, acting_user=m, data=wiifm)
    for kind in world.org.required_asset_kinds:
        asset = AssetInput(
            kind=kind,
            title=kind,
            url="https://kit.example/" + kind,
            partner_visible=True,
            owner=m,
            expires_on=TODAY + dt.timedelta(days=180),
        )
        services.add_asset(program=program, acting_user=m, data=asset)
    for team in (world.team, world.partner_team):
        target = services.add_target(
            program=program,
            acting_user=m,
            team=team,
            metric="meetings",
            value=Decimal(10),
            period="program",
        )
        services.respond_target(target=target, membership=leader, status="acknowledged")
    module = TrainingInput(
        kind="self_paced",
        title="Module",
        duration_minutes=30,
        content_url="https://learn.example",
        required=True,
    )
    services.add_training(program=program, acting_user=m, data=module)
    check = services.set_knowledge_check(
        program=program, acting_user=m, title="Check", pass_mark=80, attempts_allowed=3
    )
    question = CheckQuestionInput(
        text="Who buys?", kind="single", choices=(("Analytics heads", True), ("Nobody", False))
    )
    services.add_check_question(check=check, acting_user=m, data=question)


def live_program(world: World) -> tuple[Program, TrainingItem, TrainingItem, KnowledgeCheck]:
    """A live program with a self-paced module, a live session and a two-question check."""
    program = make_program(world, status=ProgramStatus.LIVE)
    module = services.add_training(
        program=program,
        acting_user=world.marketer,
        data=TrainingInput(
            kind="self_paced",
            title="Module",
            duration_minutes=20,
            content_url="https://learn.example",
            required=True,
        ),
    )
    session = services.add_training(
        program=program,
        acting_user=world.marketer,
        data=TrainingInput(
            kind="live",
            title="Walkthrough",
            duration_minutes=30,
            join_url="https://meet.example",
            required=True,
            starts_at=dt.datetime(2027, 1, 10, 10, 0, tzinfo=dt.UTC),
        ),
    )
    check = services.set_knowledge_check(
        program=program, acting_user=world.marketer, title="Ready?", pass_mark=100,
        attempts_allowed=2,
    )  # fmt: skip
    for text, kind, why, choices in (
        ("Which customers expanded?", "single", SECRET_EXPLANATION,
         (("Pilots", True), ("Nobody", False), ("All", False))),
        ("Pick the two proof points", "multiple", "",
         (("+34% expansion", True), ("18 days faster", True), ("Free lunch", False))),
    ):  # fmt: skip
        question = CheckQuestionInput(text=text, kind=kind, explanation=why, choices=choices)
        services.add_check_question(check=check, acting_user=world.marketer, data=question)
    return program, module, session, check


def lead(
    world: World, program: Program | None, rep: User, ext: str, created: dt.datetime = MONDAY_9
) -> Lead:
    obj = Lead(
        org=world.org,
        external_id=ext,
        program=program,
        rep=rep,
        company=f"Co {ext}",
        created_at=created,
    )
    results.refresh_sla(obj)
    obj.save()
    return obj


def make_invitation(world: World, email: str = "newbie@acme.example", role: str = Role.REP) -> str:
    """Invite someone and return a token the test knows (the real one is only e-mailed)."""
    orgs.invite_member(
        org=world.org, acting_user=world.owner, email=email, role=role, team=world.team
    )
    # the token only exists in the e-mail; read it back from the rendered template context
    invitation = Invitation.objects.get(email=email)
    token = "tok-" + invitation.token_hash[:8]
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=orgs.hash_token(token))
    return token


# --- issue 11: an organization whose insights are worked out by hand ---------------------------
# (tests/test_insights_pages.py checks every number against it; the browser test shows it)

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # leads arrive; SLA 4 h: due 13:00
LAUNCH = dt.date(2026, 11, 2)
END = dt.date(2027, 1, 31)


@dataclass
class Acme:
    world: World
    program: Program
    americas: Team
    new_york: Team
    london: list[User]  # the world's rep first
    brightline: list[User]  # the world's partner rep first
    new_yorkers: list[User]
    leads: dict[str, Lead]
    session_id: int

    def client(self, who: str) -> Client:
        return self.world.client(getattr(self.world, who))

    def url(self, name: str, *args: object) -> str:
        return reverse(name, args=[self.world.org.slug, *args])

    def purl(self, name: str) -> str:
        return self.url(name, self.program.pk)


def people(world: World, team: Team, n: int, role: str = Role.REP) -> list[User]:
    return [
        MembershipFactory(
            org=world.org, team=team, role=role, user__last_name=f"{team.name} {i}"
        ).user
        for i in range(n)
    ]


def touched(world: World, program: Program, rep: User, ext: str, at: dt.datetime | None) -> Lead:
    lead = Lead(org=world.org, external_id=ext, program=program, rep=rep, company=f"Co {ext}",
                created_at=MONDAY, first_touch_at=at)  # fmt: skip
    if at is not None:
        lead.status = LeadStatus.WORKING
    results.refresh_sla(lead)
    lead.save()
    return lead


def insights_org(world: World) -> Acme:
    """EMEA (led by the world's leader) holds London Enterprise (4 reps) and Brightline
    (2 partner reps); Americas holds New York (2 reps), which the leader does not lead.

    One live program, "Atlas", for both regions, launched 2 November, ending 31 January.
    Stage by stage (reps): Informed London 3/4, Brightline 1/2, New York 2/2 → 6/8 = 75 %;
    Trained (one required module) London 2/4, others 0 → 2/8 = 25 %; Understood (one check)
    London 1/4 → 1/8 = 12.5 %; no pulse on this program's funnel checks below (the pulse
    has its own section test)."""
    org = world.org
    americas = TeamFactory(org=org, name="Americas")
    new_york = TeamFactory(org=org, name="New York", parent=americas)
    london = [world.rep, *people(world, world.team, 3)]
    brightline = [world.partner, *people(world, world.partner_team, 1, Role.PARTNER_REP)]
    new_yorkers = people(world, new_york, 2)
    program = ProgramFactory(
        org=org, name="Atlas", status=ProgramStatus.LIVE, launch_date=LAUNCH, end_date=END,
        launched_at=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), launch_score=88,
        owner=world.marketer, audience=[world.region, americas],
    )  # fmt: skip
    for rep in [*london[:3], brightline[0], *new_yorkers]:
        ActivityEventFactory(program=program, actor=rep, verb=Verb.BRIEF_OPENED)
    module = TrainingItemFactory(program=program, title="Module", duration_minutes=30)
    session = TrainingItemFactory(
        program=program, title="Walkthrough", live=True, required=False,
        starts_at=dt.datetime(2026, 12, 9, 15, tzinfo=dt.UTC),
    )  # fmt: skip
    for rep in london[:2]:
        TrainingCompletionFactory(item=module, user=rep)
    check = KnowledgeCheckFactory(program=program)
    CheckAttemptFactory(knowledge_check=check, user=london[0], score=100, passed=True)
    # Targets, whole program (2 Nov → 31 Jan: 91 days; 31 days so far, 2 Nov → 2 Dec).
    # London: 10 meetings → expected so far ⌈10 × 31 / 91⌉ = ⌈3.41⌉ = 4; actual 5 → on track
    # (125 %). New York: 6 opportunities → ⌈6 × 31 / 91⌉ = ⌈2.04⌉ = 3; actual 1 → behind (33 %).
    TargetFactory(program=program, team=world.team, metric=TargetMetric.MEETINGS,
                  value=Decimal(10), period=TargetPeriod.PROGRAM)  # fmt: skip
    TargetFactory(program=program, team=new_york, metric=TargetMetric.OPPORTUNITIES,
                  value=Decimal(6), period=TargetPeriod.PROGRAM)  # fmt: skip
    # Leads, all in on Monday 23 November at 9:00, first touch due at 13:00.
    at = MONDAY.replace
    leads = {
        "L1": touched(world, program, london[0], "L1", at(hour=10)),  # 1 h: in time
        "L2": touched(world, program, london[0], "L2", at(hour=11)),  # 2 h: in time
        "L3": touched(world, program, london[1], "L3", at(hour=16)),  # 7 h: late
        "L4": touched(world, program, london[1], "L4", None),  # rejected at 12:00: in time
        "N1": touched(world, program, new_yorkers[0], "N1", at(minute=30)),  # 30 min: in time
        "N2": touched(world, program, new_yorkers[1], "N2", None),  # never answered: late
    }
    results.ensure_rejection_reasons(org)
    with time_machine.travel(at(hour=12), tick=False):
        results.reject_leads(
            leads=[leads["L4"]], user=london[1],
            reason=RejectionReason.objects.get(org=org, code="no_budget"), comment="",
        )  # fmt: skip
    # Five meetings by London reps in the window (two of them the world's rep's own).
    for i, rep in enumerate([london[0], london[0], london[1], london[2], london[3]]):
        LeadTouchFactory(lead=leads["L1" if i < 2 else "L3"], rep=rep, kind=TouchKind.MEETING,
                         at=dt.datetime(2026, 11, 24 + i, 10, tzinfo=dt.UTC))  # fmt: skip
    OpportunityFactory(program=program, owner=new_yorkers[0], outcome=Outcome.WON,
                       amount=Decimal(1000), created_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
                       close_date=dt.date(2026, 11, 30), lead=leads["N1"])  # fmt: skip
    OpportunityFactory(program=program, owner=london[0], outcome=Outcome.OPEN,
                       amount=Decimal(500), created_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
                       name="=HYPERLINK(\"http://evil.example\")")  # fmt: skip
    return Acme(world, program, americas, new_york, london, brightline, new_yorkers, leads,
                session.pk)  # fmt: skip
