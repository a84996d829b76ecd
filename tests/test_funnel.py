"""The sell-in funnel on a hand-built program whose percentages are worked out below."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lockstep.briefs import services as briefs
from lockstep.core.events import Verb
from lockstep.core.permissions import Role
from lockstep.enablement import services as enablement
from lockstep.feedback import services as feedback
from lockstep.insights import funnel
from lockstep.orgs.models import Membership, Team
from lockstep.programs import services
from lockstep.programs.inputs import AssetInput, CheckQuestionInput, TrainingInput
from lockstep.programs.models import Program, ProgramStatus, PulseRound
from tests.conftest import World
from tests.factories import UserFactory
from tests.scenarios import make_program


def build(world: World) -> tuple[Program, dict[str, Membership]]:
    """EMEA has London (4 reps: the world's rep + 3) and Brightline (the partner rep).

    London:     a informed, trained, understood, bought in (pulse 5,5,4 = 4.67)
                b informed, trained, not understood, not bought in (pulse 3,3,3)
                c informed only (acknowledged, no pulse)
                rep nothing
    Brightline: partner informed, trained, understood, bought in (4,4,4 = 4.0 exactly)
    """
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
    services.add_training(
        program=program,
        acting_user=world.marketer,
        data=TrainingInput(
            kind="self_paced",
            title="Optional",
            duration_minutes=20,
            content_url="https://learn.example",
            required=False,
        ),
    )
    check = services.set_knowledge_check(
        program=program, acting_user=world.marketer, title="C", pass_mark=100, attempts_allowed=3
    )
    services.add_check_question(
        check=check,
        acting_user=world.marketer,
        data=CheckQuestionInput(
            text="Q",
            kind="single",
            explanation="",
            choices=tuple([("Right", True), ("Wrong", False)]),
        ),
    )
    pulse_round = PulseRound.objects.create(org=world.org, program=program, day_offset=0)
    people = {"rep": world.membership(world.rep), "partner": world.membership(world.partner)}
    for key in "abc":
        people[key] = Membership.objects.create(
            org=world.org, user=UserFactory(), role=Role.REP, team=world.team
        )

    def passes(member: Membership, right: bool) -> None:
        attempt = enablement.start_attempt(check=check, user=member.user)
        question = check.questions.get()
        choice = question.choices.get(correct=right)
        enablement.submit_attempt(attempt=attempt, answers={str(question.pk): [choice.pk]})

    for key, (ack, trained, right, pulse) in {
        "a": (False, True, True, (5, 5, 4)),
        "b": (False, True, False, (3, 3, 3)),
        "c": (True, False, None, None),
        "partner": (False, True, True, (4, 4, 4)),
    }.items():
        member = people[key]
        if ack:
            briefs.acknowledge_brief(program=program, user=member.user)
        else:
            briefs.open_brief(program=program, user=member.user)
        if trained:
            enablement.complete_module(item=module, user=member.user)
        if right is not None:
            passes(member, right)
        if pulse:
            scores = dict(zip(["understand", "helps", "next_steps"], pulse, strict=True))
            feedback.answer_pulse(
                pulse_round=pulse_round, membership=member, scores=scores, comment=""
            )
    return program, people


def shares(row: Any) -> dict[str, Any]:
    return {s: row.shares[s] for s in funnel.STAGES}


def test_funnel_percentages_per_team_and_program(world: World) -> None:
    program, _ = build(world)
    data = funnel.program_funnel(program)
    rows = {r.label: r for r in data["rows"]}
    assert rows["London Enterprise"].reps == 4
    assert shares(rows["London Enterprise"]) == {
        "informed": 75.0,
        "trained": 50.0,
        "understood": 25.0,
        "bought_in": 25.0,
        "executing": None,
        "delivering": None,  # no leads yet: "no data yet", never 0%
    }
    assert shares(rows["Brightline"]) == {
        "informed": 100.0,
        "trained": 100.0,
        "understood": 100.0,
        "bought_in": 100.0,
        "executing": None,
        "delivering": None,
    }
    # the region rolls up its teams: 5 reps
    assert rows["EMEA"].reps == 5 and rows["EMEA"].shares["informed"] == 80.0
    assert data["total"].reps == 5 and data["total"].shares["understood"] == 40.0
    # Lockstep score: weighted mean over the four stages with data (10,15,20,20 of 65)
    expected = round((75 * 10 + 50 * 15 + 25 * 20 + 25 * 20) / 65)
    assert rows["London Enterprise"].score == expected == 38
    assert rows["Brightline"].score == 100


def test_latest_pulse_decides_bought_in(world: World) -> None:
    program, people = build(world)
    later = PulseRound.objects.create(org=world.org, program=program, day_offset=14)
    feedback.answer_pulse(
        pulse_round=later,
        membership=people["a"],
        scores={"understand": 2, "helps": 2, "next_steps": 2},
        comment="",
    )
    rows = {r.label: r for r in funnel.program_funnel(program)["rows"]}
    assert rows["London Enterprise"].shares["bought_in"] == 0.0


def test_stages_without_data_are_none(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    briefs.open_brief(program=program, user=world.rep)
    total = funnel.program_funnel(program)["total"]
    assert total.shares["informed"] == 50.0
    assert [total.shares[s] for s in funnel.STAGES[1:]] == [None] * 5
    assert total.score == 50  # only Informed has data


def test_query_count_does_not_grow_with_teams(world: World) -> None:
    program, _ = build(world)
    with CaptureQueriesContext(connection) as few:
        funnel.program_funnel(program)
    for i in range(12):
        team = Team.objects.create(org=world.org, name=f"Extra {i}", parent=world.region)
        Membership.objects.create(org=world.org, user=UserFactory(), role=Role.REP, team=team)
    with CaptureQueriesContext(connection) as many:
        data = funnel.program_funnel(program)
    assert len(data["rows"]) == 15
    assert len(many.captured_queries) == len(few.captured_queries)


def test_funnel_page_leader_sees_only_their_teams_and_drills_down(world: World) -> None:
    program, people = build(world)
    apac = Team.objects.create(org=world.org, name="APAC Team")
    program.audience.add(apac)
    Membership.objects.create(org=world.org, user=UserFactory(), role=Role.REP, team=apac)
    leader = world.membership(world.leader)  # leads EMEA
    body = world.client(world.leader).get(f"/o/acme/programs/{program.pk}/funnel/").content.decode()
    assert "London Enterprise" in body and "APAC Team" not in body and "no target" in body
    assert (
        world.client(world.leader)
        .get(f"/o/acme/programs/{program.pk}/funnel/teams/{apac.pk}/")
        .status_code
        == 404
    )
    marketer = world.client(world.marketer)
    assert "APAC Team" in marketer.get(f"/o/acme/programs/{program.pk}/funnel/").content.decode()
    drill = marketer.get(
        f"/o/acme/programs/{program.pk}/funnel/teams/{world.team.pk}/", HTTP_HX_REQUEST="true"
    )
    text = drill.content.decode()
    assert str(people["c"].user) in text and "Understood" in text
    assert world.client(world.rep).get(f"/o/acme/programs/{program.pk}/funnel/").status_code == 403
    assert leader.role == Role.SALES_LEADER


def test_executing_without_leads_counts_kit_use(world: World) -> None:
    from lockstep.programs.services import record_asset_use

    program = make_program(world, status=ProgramStatus.LIVE)
    asset = services.add_asset(
        program=program,
        acting_user=world.marketer,
        data=AssetInput(
            kind="brief", title="One-pager", url="https://kit.example/1", partner_visible=True
        ),
    )
    assert funnel.program_funnel(program)["total"].shares["executing"] is None
    record_asset_use(asset=asset, user=world.rep, verb=Verb.ASSET_VIEWED)
    assert funnel.program_funnel(program)["total"].shares["executing"] == 50.0
