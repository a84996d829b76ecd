"""The retrospective of a closed program: every number checked against a fixture built by
hand (three reps, four leads, two targets, events on known days), the lessons, the
comparison with other closed programs, leaders seeing their teams only, CSV and print."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lockstep.core.events import Action, Verb
from lockstep.core.models import AuditLog
from lockstep.core.permissions import Role
from lockstep.insights import services
from lockstep.insights.models import Retrospective
from lockstep.insights.retrospective import Retro
from lockstep.orgs.models import Membership
from lockstep.programs import services as programs
from lockstep.programs.models import IncentiveKind, Program, ProgramStatus, TargetStatus
from lockstep.results.models import Lead, LeadStatus
from tests.conftest import World
from tests.factories import (
    ActivityEventFactory,
    CheckAttemptFactory,
    KnowledgeCheckFactory,
    MembershipFactory,
    ProgramFactory,
    PulseResponseFactory,
    PulseRoundFactory,
    TargetFactory,
    TrainingCompletionFactory,
    TrainingItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
L = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # launched on a Monday, 09:00
END_DATE = (L + dt.timedelta(days=60)).date()  # 1 May 2026
CLOSED = L + dt.timedelta(days=65)


def day(n: float, hour: int = 9) -> dt.datetime:
    return (L + dt.timedelta(days=n)).replace(hour=hour)


def lead(world: World, program: Program, rep: Any, ext: str, created: dt.datetime,
         touched: dt.datetime | None) -> Lead:  # fmt: skip
    seconds = int((touched - created).total_seconds()) if touched else None
    return Lead.objects.create(
        org=world.org, external_id=ext, program=program, rep=rep, created_at=created,
        sla_due_at=created + dt.timedelta(hours=4), first_touch_at=touched,
        first_touch_seconds=seconds,
        status=LeadStatus.WORKING if touched else LeadStatus.NEW,
    )  # fmt: skip


def closed_program(world: World) -> Program:
    """EMEA (London Enterprise: rep and rep2; Brightline: partner), launched on day 0, ended
    on day 60, closed on day 65.

    - rep: opens the brief day 1, completes the module day 3, pulse 5/4/4 day 1, passes the
      check day 20; leads A (day 1, answered in 1 h: in time) and B (day 2, in 7 h: late).
    - rep2: opens the brief day 30; lead D (day 45) never answered.
    - partner: lead C (day 20, in 30 min: in time), opens the brief day 50, pulse 2/2/3 day 50,
      completes the module day 55.
    - targets (whole program, leads worked): London 4 (gets 2), Brightline 1 (gets 1)."""
    rep2 = MembershipFactory(org=world.org, team=world.team, user=UserFactory(
        email="rep2@acme.example", first_name="Rita", last_name="Two")).user  # fmt: skip
    program = ProgramFactory(
        org=world.org, name="Spring launch", status=ProgramStatus.LIVE, audience=[world.region],
        launch_date=L.date(), end_date=END_DATE, launched_at=L, launch_score=85,
        incentive_kind=IncentiveKind.SPIFF, incentive_amount=Decimal(500),
        incentive_currency="EUR", owner=world.marketer,
    )  # fmt: skip
    module = TrainingItemFactory(program=program, duration_minutes=25, required=True)
    check = KnowledgeCheckFactory(program=program)
    pulse = PulseRoundFactory(program=program, day_offset=0)
    ActivityEventFactory(program=program, actor=world.marketer, verb=Verb.PROGRAM_PREVIEW,
                         occurred_at=L - dt.timedelta(days=20))  # fmt: skip
    programs.endorse(program=program, membership=world.membership(world.leader))
    for user, when in ((world.rep, day(1)), (rep2, day(30)), (world.partner, day(50))):
        ActivityEventFactory(program=program, actor=user, verb=Verb.BRIEF_OPENED,
                             occurred_at=when)  # fmt: skip
    TrainingCompletionFactory(item=module, user=world.rep, completed_at=day(3))
    TrainingCompletionFactory(item=module, user=world.partner, completed_at=day(55))
    CheckAttemptFactory(knowledge_check=check, user=world.rep, score=100, passed=True,
                        submitted_at=day(20))  # fmt: skip
    PulseResponseFactory(round=pulse, user=world.rep, team=world.team, understand=5, helps=4,
                         next_steps=4, updated_at=day(1))  # fmt: skip
    PulseResponseFactory(round=pulse, user=world.partner, team=world.partner_team, understand=2,
                         helps=2, next_steps=3, updated_at=day(50))  # fmt: skip
    lead(world, program, world.rep, "A", day(1, 10), day(1, 11))
    lead(world, program, world.rep, "B", day(2, 10), day(2, 17))
    lead(world, program, world.partner, "C", day(20, 10), day(20, 10).replace(minute=30))
    lead(world, program, rep2, "D", day(45, 10), None)
    for team, value in ((world.team, 4), (world.partner_team, 1)):
        TargetFactory(program=program, team=team, metric="leads_worked", value=Decimal(value),
                      period="program", status=TargetStatus.ACKNOWLEDGED)  # fmt: skip
    with time_machine.travel(CLOSED, tick=False):
        programs.transition(program=program, acting_user=world.marketer, to=ProgramStatus.CLOSED)
    program.refresh_from_db()
    return program


def shares(point: Any) -> dict[str, float | None]:
    return dict(point.total.shares)


def test_every_number_matches_the_hand_built_fixture(world: World) -> None:
    program = closed_program(world)
    retro = Retro.of(services.refresh_retrospective(program=program), None)
    assert retro.end == dt.datetime(2026, 5, 2, tzinfo=UTC)  # the end date, not the close
    p = retro.practices
    assert (p["readiness"], p["threshold"], p["exception"]) == (85, 80, False)
    assert (p["training_minutes"], p["incentive"], p["endorsements"], p["preview"]) == (
        25, True, 1, True)  # fmt: skip
    two, six, end = retro.points
    assert (two.key, two.at, six.at, end.at) == ("2w", day(14), day(42), retro.end)
    third, two_thirds = 33.3, 66.7
    assert shares(two) == {
        "informed": third,
        "trained": third,
        "understood": 0.0,
        "bought_in": third,
        "executing": 0.0,
        "delivering": two_thirds,
    }
    assert shares(six) == {
        "informed": two_thirds,
        "trained": third,
        "understood": third,
        "bought_in": third,
        "executing": 50.0,
        "delivering": third,
    }
    assert shares(end) == {
        "informed": 100.0,
        "trained": two_thirds,
        "understood": third,
        "bought_in": third,
        "executing": third,
        "delivering": third,
    }
    assert (two.score, six.score, end.score) == (25, 40, 45)
    targets = {t["team"]: t for t in retro.targets}
    assert (targets["London Enterprise"]["actual"], targets["London Enterprise"]["on_track"]) == (
        "2", False)  # fmt: skip
    assert targets["London Enterprise"]["share"] == 50
    assert (targets["Brightline"]["actual"], targets["Brightline"]["on_track"]) == ("1", True)
    assert retro.attainment == 50
    speed = retro.speed
    assert (speed["total"], speed["counted"], speed["within"], speed["within_share"]) == (
        4, 4, 2, 50)  # fmt: skip
    assert speed["median_seconds"] == 3600  # 30 min, 1 h, 7 h


def test_a_leader_of_one_team_sees_that_teams_numbers_only(world: World) -> None:
    program = closed_program(world)
    record = services.refresh_retrospective(program=program)
    retro = Retro.of(record, {world.partner_team.pk})
    end = retro.point("end")
    assert end is not None and [r["name"] for r in end.rows] == ["Brightline"]
    assert shares(end) == {
        "informed": 100.0,
        "trained": 100.0,
        "understood": 0.0,
        "bought_in": 0.0,
        "executing": 100.0,
        "delivering": 100.0,
    }
    assert end.score == 60
    assert [t["team"] for t in retro.targets] == ["Brightline"]
    assert retro.attainment == 100
    assert retro.speed["within_share"] == 100
    assert retro.speed["median_seconds"] == 1800


def test_a_program_that_ended_before_six_weeks_has_no_six_week_point(world: World) -> None:
    program = ProgramFactory(org=world.org, status=ProgramStatus.LIVE, audience=[world.region],
                             launch_date=L.date(), end_date=(L + dt.timedelta(days=30)).date(),
                             launched_at=L)  # fmt: skip
    with time_machine.travel(L + dt.timedelta(days=31), tick=False):
        programs.transition(program=program, acting_user=world.marketer, to=ProgramStatus.CLOSED)
    retro = Retro.of(services.refresh_retrospective(program=program), None)
    reached = {p.key: p.reached for p in retro.points}
    assert reached == {"2w": True, "6w": False, "end": True}


# --- the page -------------------------------------------------------------------------------


def page(world: World, program: Program, user: Any, **query: str) -> Any:
    url = reverse("insights:retrospective", args=[world.org.slug, program.pk])
    return world.client(user).get(url, query)


def test_the_page_shows_the_numbers_and_prints(world: World) -> None:
    program = closed_program(world)
    response = page(world, program, world.marketer)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="attainment">50%' in html
    assert 'data-testid="launch-readiness">85' in html
    assert "data-print" in html  # a Print button (app.js), no inline script
    assert 'data-chart="chart-retro-funnel"' in html and 'id="chart-retro-funnel"' in html
    assert "<script>" not in html and "style=" not in html
    assert "Write the lessons" in html
    assert Retrospective.objects.filter(program=program, version__gt=0).exists()


def test_viewers_read_without_editing_and_reps_are_refused(world: World) -> None:
    program = closed_program(world)
    html = page(world, program, world.viewer).content.decode()
    assert "Spring launch" in html and "Write the lessons" not in html
    assert page(world, program, world.rep).status_code == 403
    assert page(world, program, world.outsider).status_code == 404


def test_a_leader_sees_only_their_teams_on_the_page(world: World) -> None:
    program = closed_program(world)
    partner_leader = MembershipFactory(org=world.org, role=Role.SALES_LEADER,
                                       led_teams=[world.partner_team]).user  # fmt: skip
    html = page(world, program, partner_leader).content.decode()
    assert "Brightline" in html and "London Enterprise" not in html
    assert 'data-testid="attainment">100%' in html


def test_a_live_program_has_no_retrospective_yet(world: World) -> None:
    program = ProgramFactory(org=world.org, live=True, audience=[world.region])
    response = page(world, program, world.marketer)
    assert response.status_code == 200
    assert 'data-testid="retro-pending"' in response.content.decode()
    assert not Retrospective.objects.filter(program=program).exists()


def test_lessons_are_written_in_markdown_and_audited(world: World) -> None:
    program = closed_program(world)
    url = reverse("insights:retro_lessons", args=[world.org.slug, program.pk])
    lessons = "**Preview earlier.**\n\n- Partners need the price list in week one"
    response = world.client(world.marketer).post(url, {"lessons": lessons})
    assert response.status_code == 302
    html = page(world, program, world.viewer).content.decode()
    assert "<strong>Preview earlier.</strong>" in html
    audit = AuditLog.objects.get(action=Action.LESSONS_SAVED)
    assert audit.actor == world.marketer and audit.changes["lessons"] == ["", lessons]
    world.client(world.marketer).post(url, {"lessons": "<script>alert(1)</script>"})
    assert "<script>alert" not in page(world, program, world.viewer).content.decode()
    assert world.client(world.viewer).post(url, {"lessons": "x"}).status_code == 403
    assert world.client(world.leader).post(url, {"lessons": "x"}).status_code == 403


def test_lessons_wait_for_the_close(world: World) -> None:
    program = ProgramFactory(org=world.org, live=True, audience=[world.region])
    url = reverse("insights:retro_lessons", args=[world.org.slug, program.pk])
    response = world.client(world.marketer).post(url, {"lessons": "Too early"})
    assert response.status_code == 409
    too_long = world.client(world.marketer).post(url, {"lessons": "x" * 20001})
    assert too_long.status_code == 400


def test_measuring_again_keeps_the_lessons(world: World) -> None:
    program = closed_program(world)
    services.save_lessons(program=program, acting_user=world.marketer, lessons="Keep this")
    url = reverse("insights:retro_refresh", args=[world.org.slug, program.pk])
    assert world.client(world.marketer).post(url).status_code == 302
    assert Retrospective.objects.get(program=program).lessons == "Keep this"


def test_the_comparison_lists_the_other_closed_programs(world: World) -> None:
    program = closed_program(world)
    other = ProgramFactory(org=world.org, name="Autumn promo", status=ProgramStatus.LIVE,
                           audience=[world.region], launch_date=L.date(), end_date=END_DATE,
                           launched_at=L, launch_score=95)  # fmt: skip
    with time_machine.travel(CLOSED, tick=False):
        programs.transition(program=other, acting_user=world.marketer, to=ProgramStatus.CLOSED)
    services.refresh_retrospective(program=other)
    html = page(world, program, world.marketer).content.decode()
    assert 'data-testid="retro-compare"' in html
    assert "Autumn promo" in html and "(this one)" in html
    assert "Median of the other 1 program" in html


def test_tables_download_as_csv(world: World) -> None:
    program = closed_program(world)
    Program.objects.filter(pk=program.pk).update(name="=HYPERLINK(1)")
    program.refresh_from_db()
    response = page(world, program, world.marketer, export="targets")
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("Team,Metric,Period,Target,Actual")
    assert any(line.startswith("London Enterprise,Leads worked,Whole program,4,2,4,missed,50")
               for line in lines)  # fmt: skip
    funnel_csv = b"".join(page(world, program, world.marketer, export="funnel")
                          .streaming_content).decode("utf-8-sig")  # fmt: skip
    assert "All visible teams,2 weeks after launch,3,33.3,33.3,0.0,33.3,0.0,66.7,25" in funnel_csv
    comparison = b"".join(page(world, program, world.marketer, export="comparison")
                          .streaming_content).decode("utf-8-sig")  # fmt: skip
    assert "'=HYPERLINK(1)" in comparison  # a program name is never a formula


def test_the_page_reads_in_a_constant_handful_of_queries(world: World) -> None:
    program = closed_program(world)
    page(world, program, world.marketer)  # measures it once
    for n in range(4):  # more closed programs to compare with
        other = ProgramFactory(org=world.org, status=ProgramStatus.CLOSED, audience=[world.region],
                               launched_at=L, launch_date=L.date(), end_date=END_DATE,
                               name=f"Old {n}")  # fmt: skip
        services.refresh_retrospective(program=other)
    client = world.client(world.leader)
    url = reverse("insights:retrospective", args=[world.org.slug, program.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 15, [q["sql"][:80] for q in queries]


def test_the_periodic_job_measures_closed_programs(world: World) -> None:
    program = closed_program(world)
    assert not Retrospective.objects.filter(program=program).exists()
    assert services.refresh_insights() >= 1
    assert Retrospective.objects.get(program=program).version > 0
    Membership.objects.filter(org=world.org)  # nothing else to do
