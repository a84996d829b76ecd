"""Shared scenarios for the tests: a program with a complete plan, a live program with a
check, a lead. Tests import these (and factories), never helpers from other test modules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.events import Verb
from lockstep.core.permissions import Role
from lockstep.core.services import emit_event
from lockstep.orgs import services as orgs
from lockstep.orgs.models import Invitation
from lockstep.programs import services
from lockstep.programs.inputs import (
    ActivityInput,
    AssetInput,
    CheckQuestionInput,
    ProgramInput,
    TrainingInput,
    WiifmInput,
)
from lockstep.programs.models import KnowledgeCheck, Program, ProgramStatus, TrainingItem
from lockstep.results import services as results
from lockstep.results.models import Lead
from tests.conftest import World

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
