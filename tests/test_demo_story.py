"""The demo tells the story every role's first look needs (lockstep/ops/demo/story.py)."""

from __future__ import annotations

import pytest

from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent, Notification
from lockstep.insights import digest, funnel
from lockstep.insights.evidence import MIN_PROGRAMS, evidence
from lockstep.insights.models import Retrospective, ThemeRun
from lockstep.insights.retrospective import Retro
from lockstep.ops.demo.loader import load_demo
from lockstep.orgs.models import Membership
from lockstep.programs.models import Program, ProgramStatus, TargetStatus
from lockstep.programs.selectors import audience_endorsements, preview_held


@pytest.mark.django_db
def test_the_demo_story() -> None:
    org = load_demo(lambda _: None)
    programs = {p.name: p for p in Program.objects.for_org(org)}
    leader = Membership.objects.get(org=org, user__email="leader@demo.example")

    # the leader: a program in preview waiting for her endorsement, a target to acknowledge
    copilot = programs["Analytics Copilot early access"]
    assert copilot.status == ProgramStatus.PREVIEW
    assert not copilot.endorsements.filter(leader=leader.user).exists()
    pending = copilot.targets.filter(team__in=leader.led_teams.all())
    assert pending.exists() and all(t.status == TargetStatus.PENDING for t in pending)
    assert Notification.objects.filter(user=leader.user, kind=digest.KIND).exists()

    # one live program clearly landing, one clearly not, and the funnel says why
    landing = funnel.program_funnel(programs["Q4 Cloud Migration campaign"])["total"]
    failing = funnel.program_funnel(programs["Partner Accelerate SPIFF"])["total"]
    assert landing.score >= 65 and failing.score <= 40
    for stage in ("informed", "understood", "bought_in", "delivering"):
        assert (landing.shares[stage] or 0) - (failing.shares[stage] or 0) >= 25, stage

    # ready means sold in: previewed and endorsed, but for one owner's exception
    went_live = [p for p in programs.values() if p.launch_score is not None]
    exceptions = [p.name for p in went_live if p.override_reason]
    assert exceptions == ["APAC webinar series"]
    for program in went_live:
        if not program.override_reason:
            assert preview_held(program) and audience_endorsements(program) >= 1, program.name

    # closed programs: retrospectives (most with lessons), enough for the evidence page
    closed = [p for p in programs.values() if p.status == ProgramStatus.CLOSED]
    records = list(Retrospective.objects.filter(program__in=closed).select_related("program"))
    assert len(records) == len(closed) >= MIN_PROGRAMS
    assert sum(1 for r in records if r.lessons) >= len(closed) - 1
    data = evidence(records, None)
    assert data["enough"]
    attainments = [r.attainment for r in data["rows"] if r.attainment is not None]
    assert max(attainments) - min(attainments) >= 40  # outcomes vary
    for record in records:  # history over time: the funnel two and six weeks in differ
        two, six = Retro.of(record, None).points[:2]
        assert two.reached and six.reached and two.total and six.total
        assert two.total.shares != six.total.shares, record.program.name

    # nothing is delivering on the day it launches
    launches = ActivityEvent.objects.filter(program__in=went_live, verb=Verb.PROGRAM_LIVE)
    for event in launches.select_related("program"):
        launched = event.program
        assert launched is not None
        day_zero = funnel.load(launched, now=event.occurred_at)
        assert not day_zero.delivering_teams, launched.name

    # every program with enough free text has its themes
    runs = {run.program.name: run for run in ThemeRun.objects.select_related("program")}
    assert runs["Partner Accelerate SPIFF"].themes and runs["Atlas 3.0 launch"].themes
