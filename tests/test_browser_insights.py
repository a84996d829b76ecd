"""Every insights page, for every role that may open it, in Debian's Chromium: desktop
(1280 px) and phone (375 px) screenshots under test-artifacts/insights/, and the test fails
on any console error, uncaught script error or Content-Security-Policy violation, on a chart
that was not drawn, on a scorecard section that did not load, or on a page wider than the
phone.

The organization is the hand-built one of tests/test_insights_pages.py (tests.scenarios.
insights_org), plus a closed program (for its retrospective), a program in preview waiting
for the leader and a few kit, pulse and question rows so every section has something to
draw. Pages of the other half of issue 11 (retrospective, evidence, digest) are included
when their URLs exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse

from lockstep.core.events import Verb
from lockstep.orgs.models import AssetKind
from lockstep.programs.models import ProgramStatus
from tests.browser import ARTIFACTS, log_in
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
from tests.scenarios import Acme, insights_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "insights"
VIEWPORTS = [("desktop", 1280, 900), ("phone", 375, 812)]

# Collects CSP violations in the page (Chromium also logs them as console errors).
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""
SECTIONS_LOADED = "() => !document.querySelector('[data-section]')"
CHARTS_DRAWN = (
    "() => Array.from(document.querySelectorAll('canvas[data-chart]')).every(c => c.dataset.drawn)"
)
TOO_WIDE = "document.documentElement.scrollWidth > window.innerWidth + 1"


@dataclass(frozen=True)
class Visit:
    name: str  # the screenshot's name
    path: str


def url(acme: Acme, name: str, *args: object) -> str | None:
    try:
        return reverse(name, args=[acme.world.org.slug, *args])
    except NoReverseMatch:  # a page of the other half of the issue, not there yet
        return None


def visits(acme: Acme, extra: dict[str, int]) -> dict[str, list[Visit]]:
    """Each role → the pages it looks at."""
    p = acme.program.pk
    closed = extra["closed"]
    lead, colleague = acme.leads["L1"].pk, acme.leads["L3"].pk
    pages: dict[str, list[tuple[str, str | None]]] = {
        "owner": [
            ("home", url(acme, "insights:home")),
            ("scorecard", url(acme, "insights:scorecard", p)),
            ("funnel", url(acme, "insights:funnel", p)),
            ("team", url(acme, "insights:team", p, acme.world.team.pk)),
            ("opportunities", url(acme, "insights:opportunities", p)),
            ("lead", url(acme, "insights:lead", colleague)),
            ("calendar", url(acme, "programs:calendar")),
            ("results", url(acme, "results:program", p)),
            ("pulse", url(acme, "feedback:pulse", p)),
            ("program", url(acme, "programs:detail", p)),
            ("retrospective", url(acme, "insights:retrospective", closed)),
            ("evidence", url(acme, "insights:evidence")),
        ],
        "marketer": [
            ("home", url(acme, "insights:home")),
            ("scorecard", url(acme, "insights:scorecard", p)),
            ("section-kit", url(acme, "insights:sc_kit", p)),
            ("inbox", url(acme, "feedback:inbox", p)),
            ("calendar", url(acme, "programs:calendar")),
            ("digest", url(acme, "insights:digest")),
        ],
        "leader": [
            ("home", url(acme, "insights:home")),
            ("scorecard", url(acme, "insights:scorecard", p)),
            ("team", url(acme, "insights:team", p, acme.world.team.pk)),
            ("calendar", url(acme, "programs:calendar")),
            ("lead", url(acme, "insights:lead", colleague)),
            ("opportunities", url(acme, "insights:opportunities", p)),
            ("digest", url(acme, "insights:digest")),
        ],
        "rep": [
            ("home", url(acme, "insights:home")),
            ("brief", url(acme, "briefs:brief", p)),
            ("calendar", url(acme, "programs:calendar")),
            ("lead", url(acme, "insights:lead", lead)),
        ],
        "partner": [
            ("home", url(acme, "insights:home")),
            ("brief", url(acme, "briefs:brief", p)),
            ("calendar", url(acme, "programs:calendar")),
        ],
        "viewer": [
            ("home", url(acme, "insights:home")),
            ("scorecard", url(acme, "insights:scorecard", p)),
            ("opportunities", url(acme, "insights:opportunities", p)),
            ("calendar", url(acme, "programs:calendar")),
            ("evidence", url(acme, "insights:evidence")),
        ],
    }
    return {
        role: [Visit(name, path) for name, path in items if path is not None]
        for role, items in pages.items()
    }


def enrich(acme: Acme) -> dict[str, int]:
    """Something in every section: kit use, two pulse rounds, questions, a closed program,
    a program in preview waiting for the leader, a launch coming next month."""
    program, world = acme.program, acme.world
    one_pager = AssetFactory(program=program, title="One-pager", partner_visible=True)
    AssetFactory(program=program, title="Battlecard", kind=AssetKind.BATTLECARD)
    for user in [acme.london[0], acme.brightline[0], acme.new_yorkers[0]]:
        ActivityEventFactory(program=program, actor=user, verb=Verb.ASSET_VIEWED,
                             object_type="asset", object_id=one_pager.pk)  # fmt: skip
    for offset in (0, 7):
        pulse_round = PulseRoundFactory(program=program, day_offset=offset)
        for i, user in enumerate(acme.london):
            PulseResponseFactory(round=pulse_round, user=user, team=world.team,
                                 understand=3 + (i + offset) % 3, helps=4, next_steps=3)  # fmt: skip
    asked = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
    RepQuestionFactory(program=program, asked_by=acme.london[0], created_at=asked,
                       answered_at=asked + dt.timedelta(hours=5), answer="Yes")  # fmt: skip
    RepQuestionFactory(program=program, asked_by=acme.london[1], created_at=asked)
    closed = ProgramFactory(org=world.org, name="Summer promo", status=ProgramStatus.CLOSED,
                            launch_date=dt.date(2026, 7, 1), end_date=dt.date(2026, 9, 30),
                            launch_score=72, audience=[world.region])  # fmt: skip
    preview = ProgramFactory(org=world.org, name="Data residency", status=ProgramStatus.PREVIEW,
                             launch_date=dt.date(2026, 12, 14), end_date=dt.date(2027, 3, 1),
                             audience=[world.region])  # fmt: skip
    TrainingItemFactory(program=preview, duration_minutes=45)
    TargetFactory(program=preview, team=world.team)
    return {"closed": closed.pk, "preview": preview.pk}


@pytest.fixture
def acme_live(world: World) -> tuple[Acme, dict[str, int]]:
    """The data is dated (launched 2 November 2026…); the server runs on today's clock."""
    acme = insights_org(world)
    return acme, enrich(acme)


def look(page: Any, base: str, visit: Visit, role: str, viewport: str) -> list[str]:
    """Open one page, wait for its sections and charts, save the screenshot; the problems."""
    problems: list[str] = []
    response = page.goto(base + visit.path)
    if response is None or response.status != 200:
        return [f"{visit.path}: status {response.status if response else 'none'}"]
    page.wait_for_load_state("networkidle")
    page.wait_for_function(SECTIONS_LOADED, timeout=15000)
    page.wait_for_function(CHARTS_DRAWN, timeout=15000)
    page.wait_for_timeout(150)  # the charts' first frame
    for violation in page.evaluate("window.__csp"):
        problems.append(f"{visit.path}: CSP violation {violation}")
    if viewport == "phone" and page.evaluate(TOO_WIDE):
        problems.append(f"{visit.path}: wider than the phone's 375 px")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{role}-{visit.name}-{viewport}.png"), full_page=True)
    return problems


@pytest.mark.parametrize("size", VIEWPORTS, ids=[v[0] for v in VIEWPORTS])
def test_every_insights_page_for_every_role(
    browser: Any,
    live_server: Any,
    acme_live: tuple[Acme, dict[str, int]],
    size: tuple[str, int, int],
) -> None:
    acme, extra = acme_live
    base = live_server.url
    problems: list[str] = []
    shots = 0
    for role, pages in visits(acme, extra).items():
        email = getattr(acme.world, role).email
        for viewport, width, height in [size]:
            # reduced motion: charts are drawn at once (charts.js), so screenshots show them
            context = browser.new_context(viewport={"width": width, "height": height},
                                          is_mobile=viewport == "phone",
                                          reduced_motion="reduce")  # fmt: skip
            context.add_init_script(WATCH_CSP)
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda m, c=console: c.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e, c=console: c.append(f"uncaught: {e}"))
            log_in(page, base, email)
            for visit in pages:
                console.clear()
                problems += [
                    f"{role} {viewport} {p}" for p in look(page, base, visit, role, viewport)
                ]
                problems += [f"{role} {viewport} {visit.path}: console: {m}" for m in console]
                shots += 1
            context.close()
    assert not problems, "\n".join(problems)
    assert shots >= 30, shots  # for each of the two viewports


def test_the_scorecard_prints_every_section(
    browser: Any, live_server: Any, acme_live: tuple[Acme, dict[str, int]]
) -> None:
    """Printing: navigation, buttons and CSV links are left out, every section is in."""
    acme, _ = acme_live
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    log_in(page, base, acme.world.marketer.email)
    page.goto(f"{base}{url(acme, 'insights:scorecard', acme.program.pk)}")
    page.wait_for_function(SECTIONS_LOADED, timeout=15000)
    page.wait_for_function(CHARTS_DRAWN, timeout=15000)
    page.emulate_media(media="print")
    hidden = page.evaluate(
        "['.topbar', '.nav', '.sc-nav', '.csv-link'].map(s => document.querySelector(s))"
        ".map(e => !e || getComputedStyle(e).display === 'none')"
    )
    assert all(hidden)
    sections = page.evaluate("document.querySelectorAll('section.card').length")
    assert sections >= 9  # readiness, funnel, targets, and the six sections after
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SHOTS / "scorecard-print.pdf"), format="A4", print_background=True)
    page.close()
