"""Evidence across programs: counts, medians and a scatter, honestly — nothing below the
minimum number of programs, no median for a group of one, no causal claim."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lockstep.core.permissions import Role
from lockstep.insights import evidence as ev
from lockstep.insights import retrospective
from lockstep.insights.models import Retrospective
from lockstep.programs.models import Program, ProgramStatus
from tests.conftest import World
from tests.factories import MembershipFactory, ProgramFactory, RetrospectiveFactory

pytestmark = pytest.mark.django_db

# name, readiness, training minutes, incentive, endorsements, preview, (met, judged)
PROGRAMS = [
    ("P1", 95, 30, True, 1, True, (3, 4)),  # 75 %
    ("P2", 90, 45, True, 1, True, (2, 2)),  # 100 %
    ("P3", 85, 60, False, 1, True, (2, 4)),  # 50 %
    ("P4", 82, 20, False, 0, True, (1, 3)),  # 33 %
    ("P5", 64, 90, True, 0, False, (0, 4)),  # 0 %, launched on an owner's exception
    ("P6", 88, 30, False, 2, True, (0, 0)),  # no judged target: listed, not measured
]


def targets(team_id: int, met: int, judged: int) -> list[dict[str, Any]]:
    return [
        {"team_id": team_id, "team": "London", "judged": i < judged, "on_track": i < met,
         "metric_label": "Meetings", "period": "Whole program", "value": "1", "actual": "1",
         "expected": "1", "judgement": "on_track" if i < met else "behind", "share": 100,
         "window": ""}
        for i in range(max(judged, 1))
    ]  # fmt: skip


def closed(world: World, spec: tuple[Any, ...], team_id: int | None = None) -> Retrospective:
    name, readiness, minutes, incentive, endorsements, preview, (met, judged) = spec
    program = ProgramFactory(org=world.org, name=name, status=ProgramStatus.CLOSED,
                             audience=[world.region])  # fmt: skip
    data = {
        "end": (dt.datetime(2026, 6, 1, tzinfo=dt.UTC) + dt.timedelta(days=len(name))).isoformat(),
        "practices": {"readiness": readiness, "threshold": 80, "exception": not preview,
                      "training_minutes": minutes, "incentive": incentive,
                      "incentive_label": "SPIFF" if incentive else "None",
                      "endorsements": endorsements, "preview": preview},
        "checkpoints": [],
        "targets": targets(team_id or world.team.pk, met, judged),
        "speed": {"overall": {}, "teams": {}},
    }  # fmt: skip
    return RetrospectiveFactory(program=program, data=data, version=retrospective.VERSION,
                                computed_at=timezone.now())  # fmt: skip


def page(world: World, user: Any, **query: str) -> Any:
    return world.client(user).get(reverse("insights:evidence", args=[world.org.slug]), query)


def test_below_the_minimum_there_are_no_statistics(world: World) -> None:
    for spec in PROGRAMS[:4]:
        closed(world, spec)
    response = page(world, world.viewer)
    html = response.content.decode()
    assert 'data-testid="not-enough"' in html
    assert "Not enough programs yet" in html and "4 closed programs have" in html
    assert 'data-testid="comparisons"' not in html and "data-chart=" not in html
    assert html.count('href="/o/acme/programs/') >= 4  # the programs are still listed


def test_counts_and_medians_by_practice(world: World) -> None:
    records = [closed(world, spec) for spec in PROGRAMS]
    data = ev.evidence(records, None)
    assert data["enough"] and data["measured"] == 5
    assert data["median_attainment"] == 50
    got = {c.practice: (c.with_, c.without) for c in data["comparisons"]}
    preview_with, preview_without = got["Preview round"]
    assert (preview_with.programs, preview_with.median) == (4, 62.5)
    assert (preview_without.programs, preview_without.median) == (1, None)  # one: no median
    assert [(g.programs, g.median) for g in got["Endorsement"]] == [(3, 75.0), (2, 16.5)]
    assert [(g.programs, g.median) for g in got["Incentive"]] == [(3, 75.0), (2, 41.5)]
    assert [(g.label, g.median) for g in got["Training time"]] == [
        ("45 minutes or less", 75.0), ("more than 45 minutes", 25.0)]  # fmt: skip
    assert [(g.label, g.programs, g.median) for g in got["Readiness at launch"]] == [
        ("85 or more", 3, 75.0), ("below 85", 2, 16.5)]  # fmt: skip
    points = [d["data"][0] for d in data["scatter"]["data"]["datasets"]]
    assert [d["label"] for d in data["scatter"]["data"]["datasets"]] == ["P1", "P2", "P3", "P4",
                                                                        "P5"]  # fmt: skip
    assert sorted((p["x"], p["y"]) for p in points) == [
        (64, 0), (82, 33), (85, 50), (90, 100), (95, 75)]  # fmt: skip


def test_the_page_shows_them_without_claiming_causes(world: World) -> None:
    for spec in PROGRAMS:
        closed(world, spec)
    html = page(world, world.marketer).content.decode()
    assert 'data-testid="comparisons"' in html
    assert 'data-chart="chart-evidence-scatter"' in html and 'role="img"' in html
    assert "median program met <b>50%</b>" in html
    assert "too few" in html  # the preview group of one
    assert "do not show that a practice caused a result" in html
    text = html.lower()
    for claim in ("because of", "leads to", "drives ", "improves", "proves", "results in"):
        assert claim not in text, claim
    assert "no judged target" in html  # P6 is listed, not counted


def test_leaders_see_attainment_of_their_teams_only(world: World) -> None:
    for spec in PROGRAMS[:5]:
        closed(world, spec, team_id=world.team.pk)
    partner_leader = MembershipFactory(org=world.org, role=Role.SALES_LEADER,
                                       led_teams=[world.partner_team]).user  # fmt: skip
    html = page(world, partner_leader).content.decode()
    assert 'data-testid="not-enough"' in html  # no judged target of their team anywhere
    assert "for your teams" in html
    assert page(world, world.leader).status_code == 200
    assert page(world, world.rep).status_code == 403


def test_csv_of_the_programs(world: World) -> None:
    for spec in PROGRAMS:
        closed(world, spec)
    Program.objects.filter(name="P1").update(name="@SUM(A1)")
    response = page(world, world.viewer, export="programs")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("Program,End,Readiness at launch,Owner's exception")
    assert any(line.startswith("'@SUM(A1),") and line.endswith(",4,75") for line in lines)
    assert any(line.startswith("P5,") and ",yes,90,yes,no,no,4,0" in line for line in lines)


def test_closed_programs_without_a_retrospective_are_measured_first(world: World) -> None:
    program = ProgramFactory(org=world.org, status=ProgramStatus.CLOSED, audience=[world.region],
                             launched_at=timezone.now() - dt.timedelta(days=30))  # fmt: skip
    assert page(world, world.viewer).status_code == 200
    assert Retrospective.objects.get(program=program).version == retrospective.VERSION


def test_the_page_reads_in_a_constant_handful_of_queries(world: World) -> None:
    for spec in PROGRAMS[:3]:
        closed(world, spec)
    client = world.client(world.leader)
    url = reverse("insights:evidence", args=[world.org.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for spec in PROGRAMS[3:]:
        closed(world, spec)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small) <= 15
