"""Issue 11, the pages people look at: the scorecard and its sections, the organization
overview, the leader and rep views, opportunities and a lead's page, the launch calendar
with load, "add to calendar", reminders and the CSV of every table.

Every number is checked against a hand-built organization (`acme`, below) whose answers
are worked out by hand in the comments, on the page, in the chart's data and in the CSV.
Time is frozen on Wednesday 2 December 2026, 12:00 UTC (the organization works in UTC,
Monday to Friday, 9:00 to 17:00)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from lockstep.core.events import Verb
from lockstep.core.models import AuditLog, Notification
from lockstep.orgs.models import AssetKind, Membership, Team
from lockstep.programs.models import (
    Program,
    ProgramStatus,
    TargetMetric,
    TargetPeriod,
    TrainingItem,
    TrainingKind,
)
from lockstep.results import services as results
from tests.conftest import World
from tests.factories import (
    ActivityEventFactory,
    AssetFactory,
    ProgramFactory,
    PulseResponseFactory,
    PulseRoundFactory,
    RepQuestionFactory,
    TargetFactory,
    TrainingItemFactory,
)
from tests.scenarios import END, LAUNCH, NOW, Acme, insights_org


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(world: World) -> Acme:
    return insights_org(world)


def chart(response: Any, chart_id: str) -> dict[str, Any]:
    """The Chart.js configuration of a chart on the page (its JSON script)."""
    content = response.content.decode()
    match = re.search(
        rf'<script id="chart-{re.escape(chart_id)}" type="application/json">(.*?)</script>',
        content,
        re.S,
    )
    assert match, f"no chart {chart_id} on the page"
    return json.loads(html.unescape(match.group(1)))  # type: ignore[no-any-return]


def data_of(config: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    """{category: value} of one series (the first, or the one with this label)."""
    sets = config["data"]["datasets"]
    series = next(s for s in sets if label is None or s["label"] == label)
    return dict(zip(config["data"]["labels"], series["data"], strict=True))


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def csv_dicts(response: Any) -> list[dict[str, str]]:
    rows = csv_rows(response)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- the scorecard -------------------------------------------------------------------------


def test_scorecard_funnel_and_targets_numbers(acme: Acme) -> None:
    response = acme.client("owner").get(acme.purl("insights:scorecard"))
    assert response.status_code == 200
    stages = data_of(chart(response, f"funnel-stages-{acme.program.pk}"))
    # 8 reps: Informed 6, Trained 2, Understood 1; no pulse round; Executing: reps with a
    # judged lead — London rep 0 (2 of 2 in time), London rep 1 (L3 late, L4 in time: 1 of 2,
    # not executing), New York 0 (in time) and 1 (late) → 2 of 4 = 50 %; Delivering: London
    # (4 reps) on track, New York (2) behind, Brightline has no target → 4 of 6 = 66.7 %.
    assert stages == {"Informed": 75.0, "Trained": 25.0, "Understood": 12.5,
                      "Bought in": None, "Executing": 50.0, "Delivering": 66.7}  # fmt: skip
    targets = data_of(chart(response, f"targets-{acme.program.pk}"), "Actual, % of expected so far")
    assert targets == {"London Enterprise · meetings": 125.0, "New York · opportunities": 33.0}
    rows = {
        r["Team"]: r
        for r in csv_dicts(
            acme.client("owner").get(acme.purl("insights:scorecard"), {"export": "targets"})
        )
    }
    assert rows["London Enterprise"]["Expected so far"] == "4"
    assert rows["London Enterprise"]["Actual"] == "5"
    assert rows["London Enterprise"]["Days so far"] == "31"
    assert rows["London Enterprise"]["Days in period"] == "91"
    assert rows["London Enterprise"]["Judgement"] == "on track"
    assert (rows["New York"]["Expected so far"], rows["New York"]["Actual"]) == ("3", "1")
    assert rows["New York"]["Judgement"] == "behind"
    funnel_rows = {
        r["Team"]: r
        for r in csv_dicts(
            acme.client("owner").get(acme.purl("insights:scorecard"), {"export": "funnel"})
        )
    }
    assert funnel_rows["London Enterprise"]["Informed"] == "75.0"
    assert funnel_rows["Brightline"]["Informed"] == "50.0"
    assert funnel_rows["New York"]["Informed"] == "100.0"
    assert funnel_rows["Brightline"]["Delivering"] == "no target"
    assert funnel_rows["All audience teams"]["Reps"] == "8"


def test_scorecard_sections_load_as_fragments_and_as_pages(acme: Acme) -> None:
    client = acme.client("marketer")
    page = client.get(acme.purl("insights:scorecard")).content.decode()
    for name in ["sc_readiness", "sc_sla", "sc_rejections", "sc_kit", "sc_pulse",
                 "sc_questions", "sc_themes"]:  # fmt: skip
        url = acme.purl(f"insights:{name}")
        assert f'hx-get="{url}"' in page  # loaded into the scorecard…
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and b"<html" not in fragment.content
        full = client.get(url)  # …and a normal page of its own in a new tab
        assert full.status_code == 200 and b"<html" in full.content
        assert b"Scorecard</a>" in full.content


def test_speed_to_lead_numbers(acme: Acme) -> None:
    response = acme.client("owner").get(acme.purl("insights:sc_sla"))
    body = response.content.decode()
    # Six judged leads, in time: L1, L2, L4 (rejected at 12:00, before 13:00), N1 → 4 of 6.
    assert '<div class="stat" data-testid="within-sla">67%</div>' in body
    # Touched after 1 h, 2 h, 7 h and 30 min: the median of four is (1 h + 2 h) / 2.
    assert '<div class="stat" data-testid="median-first-touch">1 h 30 min</div>' in body
    bands = data_of(chart(response, f"sla-distribution-{acme.program.pk}"))
    assert bands == {"under 1 h": 1, "1–2 h": 1, "2–4 h": 1, "4–8 h": 1, "8–16 h": 0,
                     "16–40 h": 0, "over 40 h": 0}  # fmt: skip
    teams = data_of(chart(response, f"sla-teams-{acme.program.pk}"))
    assert teams == {"London Enterprise": 75.0, "New York": 50.0}
    export = {
        r["Team"]: r
        for r in csv_dicts(
            acme.client("owner").get(acme.purl("insights:sc_sla"), {"export": "teams"})
        )
    }
    assert (export["London Enterprise"]["Judged"], export["London Enterprise"]["Within SLA"]) == (
        "4",
        "3",
    )
    reps = csv_dicts(acme.client("owner").get(acme.purl("insights:sc_sla"), {"export": "reps"}))
    assert len(reps) == 4


def test_rejection_reasons_and_weeks(acme: Acme) -> None:
    response = acme.client("owner").get(acme.purl("insights:sc_rejections"))
    assert data_of(chart(response, f"rejections-{acme.program.pk}")) == {"No budget": 1}
    weekly = chart(response, f"rejections-weekly-{acme.program.pk}")
    assert weekly["data"]["labels"] == ["23 Nov"]  # the Monday of the week L4 came in
    rows = csv_dicts(
        acme.client("owner").get(acme.purl("insights:sc_rejections"), {"export": "weekly"})
    )
    assert rows == [{"Week of": "2026-11-23", "Reason": "No budget", "Rejected leads": "1"}]


def test_kit_usage_direct_and_partner(acme: Acme) -> None:
    shared = AssetFactory(program=acme.program, title="One-pager", partner_visible=True)
    internal = AssetFactory(program=acme.program, title="Battlecard", kind=AssetKind.BATTLECARD)
    deck = AssetFactory(program=acme.program, title="Deck", kind=AssetKind.COLLATERAL)
    for user, asset, verb in [
        (acme.london[0], shared, Verb.ASSET_VIEWED),
        (acme.london[0], shared, Verb.ASSET_VIEWED),  # twice: two views, one rep
        (acme.brightline[0], shared, Verb.ASSET_VIEWED),
        (acme.new_yorkers[0], shared, Verb.ASSET_VIEWED),
        (acme.london[1], deck, Verb.ASSET_DOWNLOADED),
        (acme.world.marketer, internal, Verb.ASSET_VIEWED),  # not a rep: not counted
    ]:
        ActivityEventFactory(program=acme.program, actor=user, verb=verb, object_type="asset",
                             object_id=asset.pk)  # fmt: skip
    owner = acme.client("owner").get(acme.purl("insights:sc_kit"))
    opened = chart(owner, f"kit-{acme.program.pk}")
    assert data_of(opened, "Direct and inside-sales reps") == {
        "Battlecard": 0,
        "Deck": 1,
        "One-pager": 2,
    }
    assert data_of(opened, "Partner reps") == {"Battlecard": 0, "Deck": 0, "One-pager": 1}
    rows = {
        r["Asset"]: r
        for r in csv_dicts(
            acme.client("owner").get(acme.purl("insights:sc_kit"), {"export": "assets"})
        )
    }
    assert (rows["One-pager"]["Views"], rows["Deck"]["Downloads"]) == ("4", "1")
    assert rows["Battlecard"]["Never opened"] == "yes"
    leader = acme.client("leader").get(acme.purl("insights:sc_kit"))
    assert (
        data_of(chart(leader, f"kit-{acme.program.pk}"), "Direct and inside-sales reps")[
            "One-pager"
        ]
        == 1
    )


def test_pulse_trend_per_round(acme: Acme) -> None:
    first = PulseRoundFactory(program=acme.program, day_offset=0)
    second = PulseRoundFactory(program=acme.program, day_offset=7)
    for user, scores in zip(acme.london[:3], [(4, 4, 4), (5, 3, 4), (3, 5, 2)], strict=True):
        PulseResponseFactory(round=first, user=user, team=acme.world.team,
                             understand=scores[0], helps=scores[1], next_steps=scores[2])  # fmt: skip
    for user, score in zip(acme.london[:2], [5, 4], strict=True):
        PulseResponseFactory(round=second, user=user, team=acme.world.team,
                             understand=score, helps=score, next_steps=score)  # fmt: skip
    response = acme.client("owner").get(acme.purl("insights:sc_pulse"))
    config = chart(response, f"pulse-{acme.program.pk}")
    assert data_of(config, "I understand this program") == {
        "At launch · 2 Nov": 4.0,
        "Day 7 · 9 Nov": 4.5,
    }
    assert data_of(config, "I know what to do next") == {
        "At launch · 2 Nov": 3.33,
        "Day 7 · 9 Nov": 4.5,
    }


def test_an_anonymous_pulse_trend_hides_small_groups_and_people(acme: Acme) -> None:
    Program.objects.filter(pk=acme.program.pk).update(pulse_anonymous=True)
    first = PulseRoundFactory(program=acme.program, day_offset=0)
    second = PulseRoundFactory(program=acme.program, day_offset=7)
    everyone = [*acme.london, *acme.brightline]
    for user in everyone:  # six answers in EMEA: shown
        team = acme.world.team if user in acme.london else acme.world.partner_team
        PulseResponseFactory(round=first, user=user, team=team, understand=2, helps=2, next_steps=2)
    for user in acme.london[:4]:  # four answers: hidden
        PulseResponseFactory(round=second, user=user, team=acme.world.team, understand=5,
                             helps=5, next_steps=5, comment="Loved it")  # fmt: skip
    response = acme.client("owner").get(acme.purl("insights:sc_pulse"))
    config = chart(response, f"pulse-{acme.program.pk}")
    assert data_of(config, "I understand this program") == {
        "At launch · 2 Nov": 2.0,
        "Day 7 · 9 Nov": None,
    }
    body = response.content.decode()
    assert "fewer than 5" in body and "5.0" not in body
    rows = csv_dicts(acme.client("owner").get(acme.purl("insights:sc_pulse"), {"export": "trend"}))
    assert rows[1]["I understand this program"] == "hidden"
    assert all(str(u) not in body for u in everyone)
    # The leader's teams alone: the six EMEA answers of the first round are shown, the four
    # of the second hidden; nobody's name anywhere.
    leader = acme.client("leader").get(acme.purl("insights:sc_pulse"))
    assert (
        data_of(chart(leader, f"pulse-{acme.program.pk}"), "I understand this program")[
            "Day 7 · 9 Nov"
        ]
        is None
    )


def test_questions_open_and_time_to_answer(acme: Acme) -> None:
    asked = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
    RepQuestionFactory(program=acme.program, asked_by=acme.london[0], created_at=asked,
                       answered_at=asked + dt.timedelta(hours=3), answer="Yes")  # fmt: skip
    RepQuestionFactory(program=acme.program, asked_by=acme.london[1], created_at=asked,
                       answered_at=asked + dt.timedelta(hours=24), answer="No")  # fmt: skip
    RepQuestionFactory(program=acme.program, asked_by=acme.london[2], created_at=asked)
    RepQuestionFactory(program=acme.program, asked_by=acme.new_yorkers[0], created_at=asked,
                       body="Is New York in?")  # fmt: skip
    owner = acme.client("owner").get(acme.purl("insights:sc_questions"))
    body = owner.content.decode()
    assert '<div class="stat" data-testid="open-questions">2</div>' in body
    assert '<div class="stat" data-testid="median-answer">13.5 h</div>' in body  # (3 + 24) / 2
    bands = data_of(chart(owner, f"questions-{acme.program.pk}"))
    assert bands == {"under 4 h": 1, "4–24 h": 0, "1–3 days": 1, "over 3 days": 0, "still open": 2}
    leader = acme.client("leader").get(acme.purl("insights:sc_questions"))
    assert '<div class="stat" data-testid="open-questions">1</div>' in leader.content.decode()
    assert "Is New York in?" not in leader.content.decode()


def test_readiness_section_matches_the_program_page(acme: Acme) -> None:
    client = acme.client("owner")
    section = client.get(acme.purl("insights:sc_readiness")).content.decode()
    detail = client.get(acme.purl("programs:detail")).content.decode()
    score = re.search(r'data-testid="readiness-score">(\d+)<', detail)
    assert score and f'data-testid="readiness-now">{score.group(1)}<' in section


def test_objection_themes_are_included_and_scoped(
    acme: Acme, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The section shows insights.themes' partial with its themes, charts their counts and
    exports them; a leader's scope is passed to insights.themes (which counts there)."""
    from lockstep.insights import scorecard
    from lockstep.insights.themes import Theme

    asked: list[set[int] | None] = []

    def fake(program: Program, only_team_ids: set[int] | None = None) -> dict[str, Any]:
        asked.append(only_team_ids)
        themes = [
            Theme("price too high", ("price", "high"), "The price is too high for SMB", 5),
            Theme("new york only", ("ny",), "Only for NY?", 2),
        ]
        if only_team_ids is not None:
            themes = themes[:1]
        return {"themes": themes, "themes_run": None, "themes_min": 8, "themes_program": program}

    monkeypatch.setattr(scorecard, "themes_context", fake)
    owner = acme.client("owner").get(acme.purl("insights:sc_themes"))
    assert data_of(chart(owner, f"themes-{acme.program.pk}")) == {
        "price too high": 5,
        "new york only": 2,
    }
    assert b"The price is too high for SMB" in owner.content
    rows = csv_dicts(
        acme.client("owner").get(acme.purl("insights:sc_themes"), {"export": "themes"})
    )
    assert [r["Theme"] for r in rows] == ["price too high", "new york only"]
    leader = acme.client("leader").get(acme.purl("insights:sc_themes"))
    assert data_of(chart(leader, f"themes-{acme.program.pk}")) == {"price too high": 5}
    emea = {acme.world.region.pk, acme.world.team.pk, acme.world.partner_team.pk}
    assert asked[0] is None and asked[-1] == emea


# --- leaders see only their teams --------------------------------------------------------------


def test_leaders_see_only_their_teams_everywhere(acme: Acme) -> None:
    client = acme.client("leader")
    nyers = [str(u) for u in acme.new_yorkers]
    pages = [
        acme.url("insights:home"),
        acme.purl("insights:scorecard"),
        acme.purl("insights:sc_sla"),
        acme.purl("insights:sc_questions"),
        acme.purl("insights:opportunities"),
        acme.url("programs:calendar"),
    ]
    for url in pages:
        body = client.get(url).content.decode()
        assert "New York" not in body, url
        assert not [n for n in nyers if n in body], url
    scorecard = client.get(acme.purl("insights:scorecard"))
    assert "New York · opportunities" not in str(chart(scorecard, f"targets-{acme.program.pk}"))
    stages = data_of(chart(scorecard, f"funnel-stages-{acme.program.pk}"))
    assert stages["Informed"] == 66.7  # London 3/4 and Brightline 1/2: 4 of 6
    sla = acme.client("leader").get(acme.purl("insights:sc_sla"), {"export": "teams"})
    assert [r["Team"] for r in csv_dicts(sla)] == ["London Enterprise"]
    home = csv_dicts(acme.client("leader").get(acme.url("insights:home"), {"export": "reps"}))
    assert {r["Team"] for r in home} == {"London Enterprise", "Brightline"}
    drill = acme.client("leader").get(acme.url("insights:team", acme.program.pk, acme.new_york.pk))
    assert drill.status_code == 404


def test_overview_puts_live_programs_side_by_side(acme: Acme) -> None:
    other = ProgramFactory(org=acme.world.org, name="Beacon", status=ProgramStatus.LIVE,
                           launch_date=LAUNCH, end_date=END, launch_score=70,
                           audience=[acme.americas])  # fmt: skip
    ActivityEventFactory(program=other, actor=acme.new_yorkers[0], verb=Verb.BRIEF_OPENED)
    client = acme.client("viewer")
    response = client.get(acme.url("insights:home"))
    scores = data_of(chart(response, "overview-scores"))
    rows = {
        r["Program"]: r
        for r in csv_dicts(client.get(acme.url("insights:home"), {"export": "programs"}))
    }
    # Beacon: New York only, Informed 1 of 2, nothing else applies → score 50.
    assert scores["Beacon"] == 50 and rows["Beacon"]["Informed"] == "50.0"
    assert rows["Atlas"]["Readiness at launch"] == "88"
    assert rows["Atlas"]["Informed"] == "75.0"
    assert scores["Atlas"] == int(rows["Atlas"]["Lockstep score"])
    teams = {
        r["Team"]: r for r in csv_dicts(client.get(acme.url("insights:home"), {"export": "teams"}))
    }
    assert teams["New York"]["Beacon"] == "50"
    assert teams["Brightline"]["Beacon"] == ""  # not in Beacon's audience


def test_overview_trend_by_quarter(acme: Acme) -> None:
    ProgramFactory(org=acme.world.org, name="Summer", status=ProgramStatus.CLOSED,
                   launch_date=dt.date(2026, 7, 1), end_date=dt.date(2026, 9, 1),
                   launch_score=60, audience=[acme.americas])  # fmt: skip
    rows = csv_dicts(acme.client("owner").get(acme.url("insights:home"), {"export": "trend"}))
    by_quarter = {r["Quarter"]: r for r in rows}
    assert list(by_quarter) == ["Q4 2025", "Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"]
    assert by_quarter["Q3 2026"]["Programs launched"] == "1"
    assert by_quarter["Q3 2026"]["Median readiness at launch"] == "60"
    assert by_quarter["Q4 2026"]["Median readiness at launch"] == "88"


# --- the launch calendar and load ------------------------------------------------------------


def upcoming(acme: Acme, name: str, day: int, minutes: int, status: str = ProgramStatus.READY,
             audience: list[Team] | None = None) -> Program:  # fmt: skip
    program = ProgramFactory(org=acme.world.org, name=name, status=status,
                             launch_date=dt.date(2026, 12, day), end_date=END,
                             audience=audience or [acme.world.region])  # fmt: skip
    TrainingItemFactory(program=program, duration_minutes=minutes)
    TrainingItemFactory(program=program, duration_minutes=500, required=False)  # not counted
    return program


def test_calendar_per_team_with_load_and_overload(acme: Acme) -> None:
    upcoming(acme, "Cobalt", 10, 70)
    upcoming(acme, "Delta", 20, 60, status=ProgramStatus.PREVIEW)
    client = acme.client("owner")
    rows = csv_dicts(
        client.get(acme.url("programs:calendar"), {"month": "2026-12", "export": "load"})
    )
    london = {r["Month"]: r for r in rows if r["Team"] == "London Enterprise"}
    # December: two launches, 70 + 60 = 130 required minutes > 2 × 60 → overloaded.
    assert (london["Dec 2026"]["Launches"], london["Dec 2026"]["Required training minutes"]) == (
        "2",
        "130",
    )
    assert london["Dec 2026"]["Overloaded"] == "yes"
    ny = {r["Month"]: r for r in rows if r["Team"] == "New York"}
    assert ny["Dec 2026"]["Launches"] == "0"


def test_reps_see_their_own_teams_row_and_leaders_theirs(acme: Acme) -> None:
    upcoming(acme, "Cobalt", 10, 70)  # ready: a rep sees it coming, not its brief yet
    upcoming(acme, "Echo", 12, 20, status=ProgramStatus.DRAFT)  # drafts stay marketing's
    rep = acme.client("rep").get(acme.url("programs:calendar"), {"month": "2026-12"})
    assert rep.status_code == 200
    body = rep.content.decode()
    assert "Cobalt" in body and "Echo" not in body
    rows = csv_dicts(
        acme.client("rep").get(
            acme.url("programs:calendar"), {"month": "2026-12", "export": "load"}
        )
    )
    assert {r["Team"] for r in rows} == {"London Enterprise"}
    partner = csv_dicts(
        acme.client("partner").get(acme.url("programs:calendar"), {"export": "load"})
    )
    assert {r["Team"] for r in partner} == {"Brightline"}
    leader = csv_dicts(acme.client("leader").get(acme.url("programs:calendar"), {"export": "load"}))
    assert {r["Team"] for r in leader} == {"EMEA", "London Enterprise", "Brightline"}
    filtered = csv_dicts(
        acme.client("leader").get(
            acme.url("programs:calendar"), {"team": str(acme.world.team.pk), "export": "load"}
        )
    )
    assert {r["Team"] for r in filtered} == {"London Enterprise"}
    foreign = acme.client("leader").get(
        acme.url("programs:calendar"), {"team": str(acme.new_york.pk), "export": "load"}
    )
    assert "New York" not in {r["Team"] for r in csv_dicts(foreign)}


# --- the leader view -----------------------------------------------------------------------------


def test_leader_home_shows_what_waits_and_who_is_behind(acme: Acme) -> None:
    waiting = upcoming(acme, "Cobalt", 10, 30, status=ProgramStatus.PREVIEW)
    TargetFactory(program=waiting, team=acme.world.team)  # pending acknowledgement
    body = acme.client("leader").get(acme.url("insights:home")).content.decode()
    assert "Cobalt" in body and "Endorse it" in body and "Acknowledge or dispute 1 target" in body
    rows = {
        r["Rep"]: r
        for r in csv_dicts(acme.client("leader").get(acme.url("insights:home"), {"export": "reps"}))
    }
    rep = rows[str(acme.world.rep)]
    assert (rep["Informed"], rep["Trained"], rep["Understood"]) == ("yes", "yes", "yes")
    assert rows[str(acme.london[3])]["Missing"] == "Informed, Trained, Understood"


def test_one_click_reminders_go_once_a_day_and_are_audited(acme: Acme) -> None:
    client = acme.client("leader")
    target = acme.world.membership(acme.london[3])
    url = acme.url("insights:remind")
    response = client.post(url, {"program": acme.program.pk, "rep": target.pk})
    assert response.status_code == 302
    note = Notification.objects.get(user=acme.london[3], kind="leader.reminder")
    assert "Read the brief" in note.body and "Complete the required training" in note.body
    client.post(url, {"program": acme.program.pk, "rep": target.pk})  # a second click
    assert Notification.objects.filter(user=acme.london[3], kind="leader.reminder").count() == 1
    assert AuditLog.objects.filter(action="program.reps_reminded").count() == 1
    # Everyone behind in the leader's teams at once; never New York's reps.
    client.post(url, {"program": acme.program.pk})
    reminded = set(
        Notification.objects.filter(kind="leader.reminder").values_list("user", flat=True)
    )
    assert acme.world.rep.pk not in reminded  # up to date on what can be reminded
    assert not reminded & {u.pk for u in acme.new_yorkers}
    assert reminded >= {acme.london[2].pk, acme.london[3].pk, acme.brightline[1].pk}
    ny = Membership.objects.get(org=acme.world.org, user=acme.new_yorkers[1])
    before = Notification.objects.count()
    client.post(url, {"program": acme.program.pk, "rep": ny.pk})
    assert Notification.objects.count() == before


# --- the rep view --------------------------------------------------------------------------------


def test_rep_home_to_dos_leads_and_share_of_the_target(acme: Acme) -> None:
    client = acme.client("rep")
    response = client.get(acme.url("insights:home"))
    body = response.content.decode()
    # Training is due 14 days after launch (16 November): this rep trained and passed the
    # check; only confirming the brief is left (it has no due date).
    assert "Read the brief and confirm" in body and "overdue" not in body
    # London: 10 meetings for 4 reps → a share of ⌈2.5⌉ = 3; so far ⌈4 / 4⌉ = 1 each; this
    # rep held 2 of the 5 meetings → 200 % of their share so far.
    assert data_of(chart(response, "my-progress"), "My actual, % of my share so far") == {
        "Atlas · meetings": 200.0
    }
    rows = csv_dicts(acme.client("rep").get(acme.url("insights:home"), {"export": "targets"}))
    assert (rows[0]["My share"], rows[0]["My share so far"], rows[0]["My actual"]) == (
        "3",
        "1",
        "2",
    )
    assert '<div class="stat" data-testid="my-within-sla">100%</div>' in body  # L1, L2
    assert (
        "Walkthrough" in body
        and reverse(
            "briefs:session_ics", args=[acme.world.org.slug, acme.program.pk, acme.session_id]
        )
        in body
    )


def test_a_rep_behind_sees_due_dates(acme: Acme) -> None:
    body = acme.world.client(acme.london[3]).get(acme.url("insights:home")).content.decode()
    assert "Read the brief and confirm" in body
    assert "overdue since 16 Nov" in body


# --- "add to calendar" ---------------------------------------------------------------------------


def test_session_ics_for_a_session_of_a_program_the_member_sees(acme: Acme) -> None:
    url = acme.url("briefs:session_ics", acme.program.pk, acme.session_id)
    response = acme.client("rep").get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment;" in response["Content-Disposition"]
    text = response.content.decode()
    uid = TrainingItem.objects.get(pk=acme.session_id).ics_uid
    assert f"UID:{uid}@127.0.0.1" in text  # the stored random part @ the base URL's host
    assert "SUMMARY:Atlas: Walkthrough" in text
    assert "DTSTART:20261209T150000Z" in text
    assert f"mailto:{acme.world.rep.email}" in text
    brief = acme.client("rep").get(acme.purl("briefs:brief")).content.decode()
    assert url in brief


def test_no_ics_for_self_paced_items_drafts_closed_or_hidden_programs(acme: Acme) -> None:
    module = acme.program.training.get(title="Module")
    assert (
        acme.client("rep")
        .get(acme.url("briefs:session_ics", acme.program.pk, module.pk))
        .status_code
        == 404
    )
    draft = ProgramFactory(
        org=acme.world.org, status=ProgramStatus.DRAFT, audience=[acme.world.region]
    )
    session = TrainingItemFactory(program=draft, live=True)
    assert (
        acme.client("owner").get(acme.url("briefs:session_ics", draft.pk, session.pk)).status_code
        == 404
    )
    americas_only = ProgramFactory(org=acme.world.org, live=True, audience=[acme.americas])
    hidden = TrainingItemFactory(program=americas_only, live=True)
    assert (
        acme.client("rep")
        .get(acme.url("briefs:session_ics", americas_only.pk, hidden.pk))
        .status_code
        == 404
    )
    Program.objects.filter(pk=acme.program.pk).update(status=ProgramStatus.CLOSED)
    closed = acme.url("briefs:session_ics", acme.program.pk, acme.session_id)
    assert acme.client("rep").get(closed).status_code == 404
    assert TrainingKind.LIVE  # the removed session is simply gone: 404 like any other id


# --- opportunities and a lead's page -------------------------------------------------------------


def test_opportunities_won_revenue_by_team(acme: Acme) -> None:
    TargetFactory(program=acme.program, team=acme.new_york, metric=TargetMetric.WON_REVENUE,
                  value=Decimal(9100), period=TargetPeriod.PROGRAM)  # fmt: skip
    response = acme.client("owner").get(acme.purl("insights:opportunities"))
    config = chart(response, f"opportunities-{acme.program.pk}")
    assert data_of(config, "Won revenue") == {"London Enterprise": 0, "New York": 1000.0}
    # 9,100 × 31 / 91 = 3,100 expected so far from New York.
    assert data_of(config, "Won-revenue target, pro-rated so far")["New York"] == 3100.0
    rows = csv_dicts(
        acme.client("owner").get(acme.purl("insights:opportunities"), {"export": "opportunities"})
    )
    assert len(rows) == 2
    leader = csv_dicts(
        acme.client("leader").get(acme.purl("insights:opportunities"), {"export": "opportunities"})
    )
    assert [r["Owner"] for r in leader] == [str(acme.london[0])]


def test_lead_page_tells_its_history(acme: Acme) -> None:
    lead = acme.leads["L4"]
    leader = acme.world.membership(acme.world.leader)
    results.reassign(lead=lead, leader=leader, to=acme.world.membership(acme.london[2]))
    client = acme.client("leader")
    response = client.get(acme.url("insights:lead", lead.pk))
    assert response.status_code == 200
    history = [
        (r["What"], r["Detail"])
        for r in csv_dicts(client.get(acme.url("insights:lead", lead.pk), {"export": "history"}))
    ]
    assert history[0] == ("Arrived from the CRM", "")
    assert ("Rejected", "No budget") in history
    assert ("Reassigned", f"from {acme.london[1]} to {acme.london[2]}") in history
    touched_lead = acme.leads["L1"]
    touches = csv_dicts(
        client.get(acme.url("insights:lead", touched_lead.pk), {"export": "history"})
    )
    assert [r["What"] for r in touches].count("Meeting") == 2


@pytest.mark.parametrize(
    ("who", "lead", "status"),
    [
        ("rep", "L1", 200),  # their own
        ("rep", "L3", 404),  # a colleague's
        ("leader", "L3", 200),  # a rep of their teams
        ("leader", "N1", 404),  # New York is not theirs
        ("viewer", "N1", 200),
        ("marketer", "L1", 200),
        ("partner", "L1", 404),
    ],
)
def test_who_may_open_a_lead(acme: Acme, who: str, lead: str, status: int) -> None:
    assert (
        acme.client(who).get(acme.url("insights:lead", acme.leads[lead].pk)).status_code == status
    )


# --- CSV exports ---------------------------------------------------------------------------------


def test_exports_escape_spreadsheet_formulas(acme: Acme) -> None:
    rows = csv_rows(
        acme.client("owner").get(acme.purl("insights:opportunities"), {"export": "opportunities"})
    )
    names = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example")' in names


def test_unknown_export_is_404(acme: Acme) -> None:
    assert (
        acme.client("owner").get(acme.purl("insights:scorecard"), {"export": "nope"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("who", "url_name", "export"),
    [
        ("owner", "insights:funnel", "funnel"),
        ("owner", "insights:funnel", "targets"),
        ("marketer", "feedback:inbox", "questions"),
        ("owner", "insights:sc_readiness", "readiness"),
        ("owner", "insights:sc_sla", "distribution"),
        ("owner", "insights:opportunities", "teams"),
    ],
)
def test_every_analysis_table_has_a_csv(acme: Acme, who: str, url_name: str, export: str) -> None:
    response = acme.client(who).get(acme.purl(url_name), {"export": export})
    assert len(csv_rows(response)) >= 1


def test_pulse_page_exports_teams_and_never_a_person_when_anonymous(acme: Acme) -> None:
    pulse_round = PulseRoundFactory(program=acme.program, day_offset=0)
    PulseResponseFactory(round=pulse_round, user=acme.london[0], team=acme.world.team)
    url = acme.purl("feedback:pulse")
    assert csv_dicts(acme.client("owner").get(url, {"export": "answers"}))[0]["Rep"] == str(
        acme.london[0]
    )
    Program.objects.filter(pk=acme.program.pk).update(pulse_anonymous=True)
    assert acme.client("owner").get(url, {"export": "answers"}).status_code == 404
    teams = csv_dicts(acme.client("owner").get(url, {"export": "teams"}))
    assert teams[1]["I understand this program"] == "hidden"


def test_results_page_links_its_tables_csv(acme: Acme) -> None:
    body = acme.client("owner").get(acme.purl("results:program")).content.decode()
    assert f"{acme.purl('insights:sc_sla')}?export=teams" in body
    assert f"{acme.purl('insights:sc_rejections')}?export=reasons" in body
