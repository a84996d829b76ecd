"""Numbers both sides trust: Delivering against the period so far, Executing only where
there is something to execute, anonymity kept in the funnel, and the gate that makes
"ready" mean "sold in". Each test names the misleading number it prevents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.permissions import Role
from lockstep.feedback import services as feedback
from lockstep.insights import funnel
from lockstep.orgs.models import Membership, Team
from lockstep.programs import services
from lockstep.programs.models import Program, ProgramStatus, PulseRound, Target
from lockstep.results import metrics
from lockstep.results import services as results
from lockstep.results.metrics import Judgement, target_window
from lockstep.results.models import Lead, LeadStatus, Opportunity, Outcome, RejectionReason
from tests.conftest import World
from tests.factories import UserFactory
from tests.scenarios import complete_plan, lead, make_program

pytestmark = pytest.mark.django_db


def live(world: World, launched_days_ago: int = 40, end_in_days: int | None = 60) -> Program:
    program = make_program(world, status=ProgramStatus.LIVE)
    today = timezone.localdate()
    end = today + dt.timedelta(days=end_in_days) if end_in_days is not None else None
    Program.objects.filter(pk=program.pk).update(
        launch_date=today - dt.timedelta(days=launched_days_ago), end_date=end
    )
    program.refresh_from_db()
    return program


def target(
    world: World, program: Program, team: Team, metric: str, value: int, period: str
) -> Target:
    return services.add_target(
        program=program, acting_user=world.marketer, team=team, metric=metric,
        value=Decimal(value), period=period,
    )  # fmt: skip


def opportunity(world: World, program: Program, owner: User, ext: str, **kw: object) -> Opportunity:
    return Opportunity.objects.create(org=world.org, external_id=ext, program=program,
                                      owner=owner, **kw)  # fmt: skip


# --- Delivering -----------------------------------------------------------------------------


def test_a_team_without_a_target_is_not_counted_in_delivering(world: World) -> None:
    program = live(world)
    target(world, program, world.team, "opportunities", 2, "program")
    for n in range(3):
        opportunity(world, program, world.rep, f"O{n}")
    rows = {r.label: r for r in funnel.program_funnel(program)["rows"]}
    assert rows["London Enterprise"].shares["delivering"] == 100.0
    assert rows["Brightline"].shares["delivering"] is None  # no target: not 0 %
    assert rows["Brightline"].why["delivering"] == "no target"
    # the region pools only its judged reps: London's one rep, all delivering
    assert rows["EMEA"].shares["delivering"] == 100.0


def test_month_targets_are_pro_rated_against_this_month_so_far(world: World) -> None:
    program = live(world, launched_days_ago=200, end_in_days=200)
    goal = target(world, program, world.team, "opportunities", 30, "month")
    today = dt.date(2026, 11, 15)  # 15 of November's 30 days
    window = target_window("month", program, today)
    assert not isinstance(window, str)
    assert (window.start, window.end, window.period_days) == (
        dt.date(2026, 11, 1), today, 30,
    )  # fmt: skip
    assert metrics.expected_so_far(goal, window) == Decimal(15)
    quarter = target_window("quarter", program, today)
    assert not isinstance(quarter, str) and quarter.label == "Q4 2026"
    assert (quarter.start, quarter.elapsed_days, quarter.period_days) == (
        dt.date(2026, 10, 1),
        46,
        92,
    )


def test_nothing_is_judged_before_launch_or_in_a_periods_first_week(world: World) -> None:
    program = live(world, launched_days_ago=3)
    target(world, program, world.team, "meetings", 10, "program")
    progress = metrics.targets_vs_actuals(program)
    assert [p.judgement for p in progress] == [Judgement.TOO_EARLY]
    before = live(world, launched_days_ago=-5)
    assert target_window("month", before, timezone.localdate()) == Judgement.NOT_LAUNCHED
    # a new program does not "deliver 100 %" on day 0
    assert funnel.program_funnel(program)["total"].shares["delivering"] is None


def test_a_whole_program_target_needs_an_end_date(world: World) -> None:
    program = live(world, end_in_days=None)
    target(world, program, world.team, "opportunities", 4, "program")
    (progress,) = metrics.targets_vs_actuals(program)
    assert progress.judgement == Judgement.NO_END_DATE and progress.expected is None


def test_fractional_expectations_are_whole_units(world: World) -> None:
    # 8 opportunities a quarter, 10 days into it: 0.9 expected is one opportunity
    program = live(world, launched_days_ago=400, end_in_days=400)
    goal = target(world, program, world.team, "opportunities", 8, "quarter")
    window = target_window("quarter", program, dt.date(2026, 10, 10))
    assert not isinstance(window, str)
    assert metrics.expected_so_far(goal, window) == Decimal(1)
    revenue = target(world, program, world.partner_team, "won_revenue", 1000, "quarter")
    assert metrics.expected_so_far(revenue, window) == Decimal("108.70")


def test_the_organizations_date_decides_the_period(world: World) -> None:
    world.org.time_zone = "Pacific/Kiritimati"  # UTC+14
    world.org.save()
    program = live(world, launched_days_ago=400, end_in_days=400)
    target(world, program, world.team, "meetings", 10, "quarter")
    with time_machine.travel(dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC), tick=False):
        (progress,) = metrics.targets_vs_actuals(program)
    # already 1 January 2027 in Kiritimati: a new quarter, its first day is not judged
    assert progress.window is not None and progress.window.label == "Q1 2027"
    assert progress.judgement == Judgement.TOO_EARLY


def test_actuals_count_only_the_period_so_far(world: World) -> None:
    program = live(world, launched_days_ago=400, end_in_days=400)
    target(world, program, world.team, "won_revenue", 9000, "month")
    today = timezone.localdate()
    last_year = today - dt.timedelta(days=365)
    opportunity(world, program, world.rep, "OLD", amount=Decimal(50000), outcome=Outcome.WON,
                close_date=last_year)  # fmt: skip
    opportunity(world, program, world.rep, "NEW", amount=Decimal(10), outcome=Outcome.WON,
                close_date=today)  # fmt: skip
    (progress,) = metrics.targets_vs_actuals(program)
    assert progress.actual == Decimal(10)


# --- Executing ------------------------------------------------------------------------------


NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday


def executing(program: Program) -> dict[str, float | None]:
    return {r.label: r.shares["executing"] for r in funnel.program_funnel(program)["rows"]}


def test_a_rep_without_leads_is_not_counted_in_executing(world: World) -> None:
    program = live(world)
    fast = lead(world, program, world.rep, "L1", created=timezone.now() - dt.timedelta(hours=2))
    results.log_touch(lead=fast, user=world.rep, kind="call")
    shares = executing(program)
    assert shares["London Enterprise"] == 100.0
    assert shares["Brightline"] is None  # the partner rep has no leads: nothing to execute
    assert funnel.program_funnel(program)["total"].shares["executing"] == 100.0


def test_leads_still_inside_their_sla_are_not_misses(world: World) -> None:
    program = live(world)
    with time_machine.travel(NOW, tick=False):
        lead(world, program, world.rep, "FRESH", created=NOW - dt.timedelta(minutes=30))
        assert executing(program)["London Enterprise"] is None
        summary = metrics.sla_summary(Lead.objects.filter(program=program))
        assert summary["pending"] == 1 and summary["late"] == 0


def test_a_rejection_is_an_answer_but_only_in_time_counts(world: World) -> None:
    program = live(world)
    reason = RejectionReason.objects.create(org=world.org, code="no_budget", label="No budget")
    with time_machine.travel(NOW, tick=False):
        early = lead(world, program, world.rep, "EARLY", created=NOW - dt.timedelta(minutes=30))
        results.reject_leads(leads=[early], user=world.rep, reason=reason, comment="")
        late = lead(world, program, world.partner, "LATE", created=NOW - dt.timedelta(days=5))
        results.reject_leads(leads=[late], user=world.partner, reason=reason, comment="")
        crm = lead(world, program, world.partner, "CRM", created=NOW - dt.timedelta(days=5))
        Lead.objects.filter(pk=crm.pk).update(status=LeadStatus.REJECTED, rejection_reason=reason)
        shares = executing(program)
    assert shares["London Enterprise"] == 100.0  # rejected within the SLA: answered in time
    assert shares["Brightline"] == 0.0  # rejected days late; the CRM rejection is not judged


@pytest.mark.parametrize(("in_time", "executes"), [(9, True), (8, False)])
def test_the_90_percent_boundary(world: World, in_time: int, executes: bool) -> None:
    program = live(world)
    with time_machine.travel(NOW, tick=False):
        for n in range(10):
            created = NOW - dt.timedelta(minutes=30 if n < in_time else 60 * 24 * 6)
            item = lead(world, program, world.rep, f"B{n}", created=created)
            results.log_touch(lead=item, user=world.rep, kind="call")
        shares = executing(program)
    assert shares["London Enterprise"] == (100.0 if executes else 0.0)


# --- privacy --------------------------------------------------------------------------------


def test_an_anonymous_pulse_shows_no_persons_buy_in_and_hides_small_groups(world: World) -> None:
    program = live(world)
    Program.objects.filter(pk=program.pk).update(pulse_anonymous=True)
    program.refresh_from_db()
    pulse_round = PulseRound.objects.create(org=world.org, program=program, day_offset=0)
    high = {"understand": 5, "helps": 5, "next_steps": 5}
    big = Team.objects.create(org=world.org, name="Big team", parent=world.region)
    program.audience.add(big)
    members = [Membership.objects.create(org=world.org, user=UserFactory(), role=Role.REP,
                                         team=big) for _ in range(5)]  # fmt: skip
    for member in [*members, world.membership(world.rep)]:
        feedback.answer_pulse(pulse_round=pulse_round, membership=member, scores=high, comment="")
    rows = {r.label: r for r in funnel.program_funnel(program)["rows"]}
    assert rows["Big team"].shares["bought_in"] == 100.0  # five answers: shown
    assert rows["London Enterprise"].shares["bought_in"] is None  # one answer: hidden
    assert "fewer than 5" in rows["London Enterprise"].why["bought_in"]
    reps = funnel.team_reps(program, {world.team.pk})
    assert [r["reached"]["bought_in"] for r in reps] == [None]
    assert [r["pulse"] for r in reps] == [None]
    page = world.client(world.marketer).get(
        f"/o/acme/programs/{program.pk}/funnel/teams/{world.team.pk}/"
    )
    assert page.status_code == 200 and "anonymous" in page.content.decode()


# --- the gate: ready means sold in ------------------------------------------------------------


def test_ready_needs_the_gate_even_from_draft(world: World) -> None:
    program = make_program(world)  # a draft scoring far below the threshold
    with pytest.raises(services.GateRefused) as refused:
        services.transition(program=program, acting_user=world.marketer, to="ready")
    reasons = refused.value.gate.reasons
    assert any("readiness score" in r for r in reasons)
    assert "No sales leader of an audience team has endorsed it." in reasons
    assert "Sales has not seen it in a preview round." in reasons
    ready = services.transition(
        program=program, acting_user=world.owner, to="ready", override_reason="Board date",
        acting_role=Role.OWNER,
    )  # fmt: skip
    assert ready.status == ProgramStatus.READY and ready.override_reason == "Board date"


def test_a_sold_in_program_becomes_ready_and_goes_live(world: World) -> None:
    program = make_program(world)
    complete_plan(world, program)
    assert services.launch_gate(program).passed
    services.transition(program=program, acting_user=world.marketer, to="ready")
    live_program = services.transition(program=program, acting_user=world.marketer, to="live")
    assert live_program.status == ProgramStatus.LIVE and not live_program.override_reason


def test_an_endorsement_counts_only_while_its_leader_leads_an_audience_team(world: World) -> None:
    program = make_program(world)
    complete_plan(world, program)
    apac = Team.objects.create(org=world.org, name="APAC")
    program.audience.set([apac])
    gate = services.launch_gate(program)
    assert not gate.endorsed
    assert "No sales leader of an audience team has endorsed it." in gate.reasons


def test_the_funnel_as_it_stood_on_an_earlier_date(world: World) -> None:
    from lockstep.briefs import services as briefs

    program = live(world)
    with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
        briefs.open_brief(program=program, user=world.rep)
    with time_machine.travel(NOW, tick=False):
        briefs.open_brief(program=program, user=world.partner)
        lead(world, program, world.rep, "LATE", created=NOW - dt.timedelta(days=8))
        then = funnel.load(program, now=NOW - dt.timedelta(days=9))
        today = funnel.load(program)
        past = funnel.program_funnel(program, ctx=then)["total"].shares
        present = funnel.program_funnel(program, ctx=today)["total"].shares
    assert past["informed"] == 50.0 and present["informed"] == 100.0
    assert past["executing"] is None  # the lead did not exist yet
    assert present["executing"] == 0.0


def test_a_leader_sees_the_targets_of_the_teams_they_lead_only(world: World) -> None:
    from lockstep.results.selectors import program_results

    program = live(world, launched_days_ago=60, end_in_days=60)
    target(world, program, world.team, "meetings", 10, "program")
    target(world, program, world.partner_team, "meetings", 5, "program")
    leader = world.membership(world.leader)
    leader.led_teams.set([world.team])
    teams = {row.target.team_id for row in program_results(leader, program)["targets"]}
    assert teams == {world.team.pk}
    marketer = world.membership(world.marketer)
    teams = {row.target.team_id for row in program_results(marketer, program)["targets"]}
    assert teams == {world.team.pk, world.partner_team.pk}
