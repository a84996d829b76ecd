"""Wording and polish (issue 15): plurals, grammar, no repeated titles or headings, "just
now", human field names when mapping an import, no inline style from htmx, a brief that keeps
the rep's place, one id per element on the program page."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from lockstep.core.templatetags.lockstep_tags import ago, counted, elapsed
from lockstep.programs.models import Program, ProgramStatus, PulseRound, TrainingItem
from tests.conftest import World
from tests.factories import (
    ImportJobFactory,
    KnowledgeCheckFactory,
    NotificationFactory,
    ProgramFactory,
    TrainingItemFactory,
)
from tests.scenarios import live_program, make_program

STATIC = Path(__file__).resolve().parent.parent / "lockstep" / "static" / "lockstep"
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def flashed(client: Client, response: object) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def test_ago_says_just_now_never_zero_minutes() -> None:
    assert ago(NOW - dt.timedelta(seconds=20), NOW) == "just now"
    assert ago(NOW - dt.timedelta(minutes=3), NOW) == "3\xa0minutes ago"
    assert elapsed(NOW - dt.timedelta(seconds=5), NOW) == "under a minute"
    assert counted(1, "lead", "leads") == "1 lead" and counted(0, "lead", "leads") == "0 leads"


def test_a_new_notification_reads_just_now(world: World) -> None:
    NotificationFactory(org=world.org, user=world.rep, title="Atlas is live")
    page = world.client(world.rep).get("/o/acme/notifications/").content.decode()
    assert "just now" in page and "0\xa0minutes" not in page


def test_plurals_in_messages(world: World) -> None:
    program, _, session, _ = live_program(world)
    TrainingItem.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1)
    )
    client = world.client(world.marketer)
    url = f"/o/acme/programs/{program.pk}/training/{session.pk}/attendance/"
    response = client.post(url, {"user": [world.rep.pk]})
    assert "1 attendee recorded." in flashed(client, response)
    owner = world.client(world.owner)
    response = owner.post(f"/o/acme/programs/{program.pk}/results/sla/", {"sla_hours": "1"})
    assert any(
        m.startswith("First-touch SLA set to 1 business hour; 0 open leads")
        for m in flashed(owner, response)
    )


def test_no_placeholder_plurals_left_in_the_code() -> None:
    root = Path(__file__).resolve().parent.parent / "lockstep"
    found = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*")
        if path.suffix in {".py", ".html", ".txt"} and "migrations" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<![.\w])[a-z]{2,}\(s\)", line)
        and "http(s)" not in line
        and '"""' not in line
    ]
    assert not found, found


@pytest.mark.parametrize(
    ("to", "said"),
    [
        (ProgramStatus.PREVIEW, "“Atlas” is in preview: the audience"),
        (ProgramStatus.DRAFT, "“Atlas” is back in draft."),
    ],
)
def test_a_status_change_reads_as_a_sentence(world: World, to: str, said: str) -> None:
    status = ProgramStatus.PREVIEW if to == ProgramStatus.DRAFT else ProgramStatus.DRAFT
    program = make_program(world, status=status, name="Atlas")
    client = world.client(world.marketer)
    response = client.post(f"/o/acme/programs/{program.pk}/transition/", {"to": to})
    messages = flashed(client, response)
    assert any(m.startswith(said) for m in messages), messages
    assert not any("is now" in m for m in messages)


def test_titles_and_headings_are_not_repeated(world: World) -> None:
    home = world.client(world.owner).get("/o/acme/").content.decode()
    assert "<title>Home · Acme</title>" in home
    forbidden = world.client(world.rep).get("/o/acme/settings/")
    page = forbidden.content.decode()
    assert forbidden.status_code == 403
    assert page.count("does not allow this") == 1
    assert "This page is for members who may manage the organization" in page


def test_knowledge_check_is_not_said_twice(world: World) -> None:
    program = ProgramFactory(org=world.org, live=True, audience=[world.region])
    KnowledgeCheckFactory(program=program, title="Knowledge check", questions=1)
    detail = world.client(world.marketer).get(f"/o/acme/programs/{program.pk}/")
    brief = world.client(world.rep).get(f"/o/acme/programs/{program.pk}/brief/")
    for page in (detail.content.decode(), brief.content.decode()):
        assert "Knowledge check: Knowledge check" not in page
        assert "“Knowledge check”" not in page
    named = ProgramFactory(org=world.org, live=True, audience=[world.region])
    KnowledgeCheckFactory(program=named, title="Atlas basics", questions=1)
    brief = world.client(world.rep).get(f"/o/acme/programs/{named.pk}/brief/")
    assert "Knowledge check: Atlas basics" in brief.content.decode()


def test_programs_list_promises_only_what_it_shows(world: World) -> None:
    page = world.client(world.marketer).get("/o/acme/programs/").content.decode()
    assert "how ready it is" not in page
    assert "Open one for its readiness score" in page


def test_the_mapping_screen_shows_labels_not_internal_names(world: World) -> None:
    job = ImportJobFactory(org=world.org, created_by=world.marketer)
    page = world.client(world.marketer).get(f"/o/acme/imports/{job.pk}/map/").content.decode()
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', page)
    shown = {label for _, label in options}
    assert ("external_id", "CRM record ID (required)") in options
    assert ("created_at", "Created on (date and time)") in options
    assert not shown & {"external_id", "created_at", "first_touch_at", "contact_name"}


def test_htmx_injects_no_inline_style() -> None:
    base = (Path(__file__).resolve().parent.parent / "lockstep/templates/base.html").read_text()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in base
    assert ".htmx-request .htmx-indicator" in (STATIC / "app.css").read_text()


def test_brief_actions_come_back_to_the_section_acted_in(world: World) -> None:
    program, module, _, _ = live_program(world)
    Program.objects.filter(pk=program.pk).update(
        launched_at=timezone.now() - dt.timedelta(days=1),
        launch_date=timezone.localdate() - dt.timedelta(days=1),
    )
    PulseRound.objects.create(org=world.org, program=program, day_offset=0)
    rep = world.client(world.rep)
    base = f"/o/acme/programs/{program.pk}"
    cases = [
        (f"{base}/training/{module.pk}/done/", {}, "#training"),
        (f"{base}/pulse/answer/", {"understand": 4, "helps": 4, "next_steps": 4}, "#pulse"),
        (f"{base}/brief/ask/", {"body": "Which customers first?"}, "#ask"),
        (f"{base}/brief/ack/", {}, "#next"),
    ]
    for url, data, fragment in cases:
        response = rep.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"] == f"{base}/brief/{fragment}", url
    brief = rep.get(f"{base}/brief/").content.decode()
    for fragment in ("training", "pulse", "ask", "next"):
        assert f'id="{fragment}"' in brief


def test_the_program_page_repeats_no_id(world: World) -> None:
    program = make_program(world, name="Atlas")
    TrainingItemFactory(program=program)
    page = world.client(world.marketer).get(f"/o/acme/programs/{program.pk}/").content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert not [i for i, n in ids.items() if n > 1], ids.most_common(5)
    # each label still points at its own field
    for target in re.findall(r'<label for="([^"]+)"', page):
        assert ids[target] == 1, target


def test_each_correct_box_of_a_question_has_its_own_name(world: World) -> None:
    program = make_program(world, name="Atlas")
    KnowledgeCheckFactory(program=program, questions=0)
    page = world.client(world.marketer).get(f"/o/acme/programs/{program.pk}/check/questions/")
    names = re.findall(r'<span class="visually-hidden">([^<]+)</span>correct</label>', page.text)
    assert names == [f"Choice {i} is " for i in range(1, 6)]
