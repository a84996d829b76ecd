"""Objection themes: free text grouped with scikit-learn, on a fixture whose themes are
known; stored by a background task, read in one query, anonymity kept."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lockstep.core.permissions import Abilities, Role
from lockstep.insights import services, themes
from lockstep.insights.models import ThemeRun
from lockstep.programs.models import Program, ProgramStatus
from tests.conftest import World
from tests.factories import (
    LeadFactory,
    MembershipFactory,
    PreviewFeedbackFactory,
    ProgramFactory,
    PulseResponseFactory,
    PulseRoundFactory,
    RepQuestionFactory,
)

KNOWN: dict[str, list[str]] = json.loads(
    (Path(__file__).parent / "data" / "themes" / "known_themes.json").read_text()
)
# The word every label of a known theme must start with.
LEADING = {"pricing": "Price", "integration": "Integration", "training": "Training",
           "targets": "Target"}  # fmt: skip


def known_texts(order_seed: int | None = None) -> tuple[list[themes.Text], dict[int, str]]:
    items = [(name, body) for name, bodies in KNOWN.items() for body in bodies]
    if order_seed is not None:
        random.Random(order_seed).shuffle(items)
    texts = [themes.Text("question", i, body, None, True) for i, (_, body) in enumerate(items)]
    return texts, {i: name for i, (name, _) in enumerate(items)}


@pytest.mark.parametrize("order_seed", [None, 1, 2, 3])
def test_the_known_themes_are_found_whatever_the_order(order_seed: int | None) -> None:
    texts, truth = known_texts(order_seed)
    grouping = themes.group_texts(texts, "Atlas 3.0 launch")
    assert grouping.unthemed == 0
    assert len(grouping.themes) == 4
    found = {}
    for theme in grouping.themes:
        names = {truth[i] for _, i in theme["members"]}
        assert len(names) == 1, f"{theme['label']} mixes {names}"
        name = names.pop()
        found[name] = theme
        assert theme["label"].startswith(LEADING[name]), theme["label"]
        assert theme["count"] == len(KNOWN[name])
        assert theme["quote"] in KNOWN[name]  # a real text of the theme, never a paraphrase
    assert set(found) == set(KNOWN)
    # largest first
    assert [t["count"] for t in grouping.themes] == [7, 6, 6, 6]


def test_grouping_is_deterministic() -> None:
    texts, _ = known_texts(5)
    assert themes.group_texts(texts) == themes.group_texts(texts)


def test_too_few_texts_make_no_theme() -> None:
    texts, _ = known_texts()
    grouping = themes.group_texts(texts[: themes.MIN_TEXTS - 1])
    assert grouping.themes == []
    assert grouping.unthemed == themes.MIN_TEXTS - 1


def test_stop_words_and_the_program_name_never_label_a_theme() -> None:
    bodies = [f"Atlas is great but {body}" for bodies in KNOWN.values() for body in bodies]
    texts = [themes.Text("pulse", i, b, None, True) for i, b in enumerate(bodies)]
    grouping = themes.group_texts(texts, "Atlas launch")
    terms = {term for theme in grouping.themes for term in theme["top_terms"]}
    assert not terms & {"atlas", "is", "but", "the", "launch"}
    assert len(grouping.themes) == 4


def test_texts_of_nothing_but_stop_words_make_no_theme() -> None:
    texts = [themes.Text("pulse", i, "Yes, it is OK for us.", None, True) for i in range(12)]
    assert themes.group_texts(texts).themes == []


# --- collected from the program, stored, read -------------------------------------------------


def program_with_texts(world: World, *, anonymous: bool = False) -> Program:
    """The known texts spread over the four sources and two teams: pulse comments (London),
    rep questions (London), preview feedback (the partner team), lead rejections (partner)."""
    program = ProgramFactory(org=world.org, live=True, audience=[world.region],
                             pulse_anonymous=anonymous)  # fmt: skip
    pulse_round = PulseRoundFactory(program=program, day_offset=0)
    london = [MembershipFactory(org=world.org, team=world.team).user for _ in range(7)]
    partners = [
        MembershipFactory(org=world.org, team=world.partner_team, role=Role.PARTNER_REP).user
        for _ in range(7)
    ]
    for user, body in zip(london, KNOWN["pricing"], strict=True):
        PulseResponseFactory(round=pulse_round, user=user, comment=body, team=world.team)
    for user, body in zip(london, KNOWN["integration"], strict=False):
        RepQuestionFactory(program=program, asked_by=user, body=body)
    for user, body in zip(partners, KNOWN["training"], strict=False):
        PreviewFeedbackFactory(program=program, author=user, body=body)
    for user, body in zip(partners, KNOWN["targets"], strict=False):
        LeadFactory(program=program, rep=user, status="rejected", rejection_comment=body)
    return program


def test_a_programs_texts_are_grouped_by_the_background_task(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = program_with_texts(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.request_themes(program=program)
    assert not ThemeRun.objects.exists()  # queued on commit, not run inline
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the test settings' immediate backend runs the task
    run = ThemeRun.objects.get(program=program)
    assert run.text_count == 25
    found = themes.program_themes(program)
    assert [t.count for t in found] == [7, 6, 6, 6]
    pricing = found[0]
    assert pricing.label.startswith("Price")
    assert pricing.sources == {"pulse": 7}
    assert pricing.counts_by_team == {world.team.pk: 7}
    assert pricing.by_team == [("London Enterprise", 7)]
    training = next(t for t in found if t.label.startswith("Training"))
    assert training.counts_by_team == {world.partner_team.pk: 6}
    assert training.source_labels == [("preview feedback", 6)]


def test_reading_the_themes_is_one_query(world: World) -> None:
    program = program_with_texts(world)
    services.refresh_themes(program=program)
    with CaptureQueriesContext(connection) as queries:
        assert len(themes.program_themes(program)) == 4
    assert len(queries) == 1


def test_the_periodic_job_queues_only_programs_whose_texts_changed(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = program_with_texts(world)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.refresh_stale_themes(now) == 1  # never grouped
    assert ThemeRun.objects.filter(program=program).exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.refresh_stale_themes(now) == 0  # nothing changed
    assert not callbacks
    RepQuestionFactory(program=program, body="Is there a price list for Japan?")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.refresh_stale_themes(now) == 1
    assert ThemeRun.objects.get(program=program).text_count == 26


def test_too_few_texts_say_so_on_the_page(world: World) -> None:
    program = ProgramFactory(org=world.org, live=True, audience=[world.region])
    RepQuestionFactory(program=program, body="Is there a price list?")
    run = services.refresh_themes(program=program)
    assert run.themes == [] and run.text_count == 1
    html = render_themes(world, program, Role.MARKETER)
    assert f"1 of the {themes.MIN_TEXTS} texts" in html


def render_themes(world: World, program: Program, role: str, scope: set[int] | None = None) -> str:
    request = RequestFactory().get("/")
    membership = next(m for m in world.org.memberships.all() if m.role == role)
    context = {
        **themes.themes_context(program, scope),
        "org": world.org,
        "can": Abilities(membership),
        "request": request,
    }
    return render_to_string("insights/_themes.html", context)


def test_the_partial_shows_labels_quotes_teams_and_a_regroup_button(world: World) -> None:
    program = program_with_texts(world)
    services.refresh_themes(program=program)
    html = render_themes(world, program, Role.MARKETER)
    assert html.count('data-testid="theme"') == 4
    assert "London Enterprise 7" in html
    assert "Group again" in html
    assert "Group again" not in render_themes(world, program, Role.VIEWER)


def test_an_anonymous_pulse_is_never_attributed_to_a_team(world: World) -> None:
    program = program_with_texts(world, anonymous=True)
    services.refresh_themes(program=program)
    pricing = themes.program_themes(program)[0]
    assert pricing.sources == {"pulse": 7}
    assert pricing.counts_by_team == {}  # pulse comments of an anonymous pulse: no team
    assert pricing.quote in KNOWN["pricing"]  # 7 answers: at least five, so quotable


def test_a_small_anonymous_pulse_is_never_quoted(world: World) -> None:
    program = ProgramFactory(org=world.org, live=True, audience=[world.region],
                             pulse_anonymous=True)  # fmt: skip
    pulse_round = PulseRoundFactory(program=program, day_offset=0)
    for body in KNOWN["pricing"][:4]:  # four answers: below the group of five
        PulseResponseFactory(round=pulse_round, comment=body, team=world.team)
    for body in KNOWN["integration"]:
        RepQuestionFactory(program=program, body=body)
    services.refresh_themes(program=program)
    found = themes.program_themes(program)
    for theme in found:
        assert theme.quote not in KNOWN["pricing"]
        assert theme.counts_by_team == {} or "pulse" not in theme.sources


def test_a_leader_sees_only_what_their_teams_wrote(world: World) -> None:
    program = program_with_texts(world)
    services.refresh_themes(program=program)
    partner_only = {world.partner_team.pk}
    found = themes.program_themes(program, only_team_ids=partner_only)
    assert {t.label.split(" · ")[0] for t in found} == {"Training", "Target"}
    for theme in found:
        assert set(theme.counts_by_team) == partner_only
        assert theme.quote in KNOWN["training"] + KNOWN["targets"]
        assert theme.sources == {}  # the sources of all teams' texts would leak counts


def test_regrouping_on_demand_is_for_marketers(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    program = program_with_texts(world)
    url = reverse("insights:themes_refresh", args=[world.org.slug, program.pk])
    assert world.client(world.rep).post(url).status_code == 403
    assert world.client(world.leader).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client(world.marketer).post(
            url, {"next": f"/o/{world.org.slug}/programs/{program.pk}/"}
        )
    assert response.status_code == 302
    assert response["Location"] == f"/o/{world.org.slug}/programs/{program.pk}/"
    assert ThemeRun.objects.filter(program=program).exists()
    evil = world.client(world.marketer).post(url, {"next": "https://evil.example/"})
    assert evil["Location"].endswith(f"/programs/{program.pk}/")
    assert world.client(world.outsider).post(url).status_code == 404


def test_closed_programs_stop_being_regrouped_a_month_after(world: World) -> None:
    program = ProgramFactory(org=world.org, status=ProgramStatus.CLOSED)
    now = timezone.now()
    assert program in services.theme_programs(now)
    assert program not in services.theme_programs(now + dt.timedelta(days=31))
    draft = ProgramFactory(org=world.org)
    assert draft not in services.theme_programs(now)
