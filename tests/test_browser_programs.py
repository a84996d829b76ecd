"""Browser journeys for programs: a marketer fills the six questions and launches;
a rep reads and acknowledges the brief on a phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from lockstep.briefs import services as briefs
from lockstep.core.models import ActivityEvent
from lockstep.programs.models import Program
from tests.browser import log_in, shot
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def score(page: Any) -> int:
    return int(page.locator("[data-testid=readiness-score]").inner_text())


def add(
    page: Any, section: str, summary: str, fill: dict[str, str], button: str, expect: str
) -> int:
    """Open a section's add form, fill it, submit via htmx, wait for `expect` to show in
    the section; return the new score."""
    sec = page.locator(f"#section-{section}")
    if summary:
        sec.locator(f"summary:has-text('{summary}')").click()
    for selector, value in fill.items():
        field = sec.locator(selector).first
        if value == "check":
            field.check()
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value) if not value.isdigit() else field.select_option(value)
        else:
            field.fill(value)
    with page.expect_response(lambda r: r.request.method == "POST"):
        sec.locator(f"button:has-text('{button}')").first.click()
    page.locator(f"#section-{section}").get_by_text(expect).first.wait_for(timeout=5000)
    return score(page)


def test_marketer_fills_the_plan_is_refused_then_launches(
    browser: Any, live_server: Any, world: World
) -> None:
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base, "marketer@acme.example")
    page.goto(f"{base}/o/acme/programs/new/")
    page.fill("input[name=name]", "Atlas 3.0 launch")
    page.fill("textarea[name=summary]", "**Atlas 3.0**: real-time dashboards.")
    page.check(f"input[name=audience][value='{world.region.pk}']")
    launch = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    page.fill("input[name=launch_date]", launch)
    page.click("main button[type=submit]")
    page.wait_for_url("**/programs/*/")
    program = Program.objects.get(name="Atlas 3.0 launch")
    assert score(page) == 0
    shot(page, "programs-1-new-program")

    today = timezone.localdate().isoformat()
    s1 = add(
        page,
        "sell_in",
        "Add a sell-in activity",
        {"input[name=date]": today, f"input[name=teams][value='{world.region.pk}']": "check"},
        "Add activity",
        "Kickoff briefing",
    )
    assert s1 > 0
    s2 = add(
        page,
        "wiifm",
        "",
        {
            "textarea[name=wiifm]": "Double commission on every Atlas deal.",
            "textarea[name=proof_points]": "Pilots expanded 34%.",
        },
        "Save",
        "Pilots expanded",
    )
    assert s2 > s1
    for kind, label in [
        ("brief", "Brief / one-pager"),
        ("talk_track", "Talk track"),
        ("faq", "FAQ & objection handling"),
    ]:
        add(
            page,
            "kit",
            "Add an asset",
            {
                "select[name=kind]": label,
                "input[name=title]": kind,
                "input[name=url]": f"https://kit.example/{kind}",
                "input[name=partner_visible]": "check",
            },
            "Add asset",
            kind,
        )
    s3 = score(page)
    assert s3 > s2
    add(
        page,
        "training",
        "Add a training item",
        {
            "select[name=kind]": "Self-paced module",
            "input[name=title]": "Atlas module",
            "input[name=duration_minutes]": "30",
            "input[name=content_url]": "https://learn.example",
        },
        "Add",
        "Atlas module",
    )
    s4 = add(
        page,
        "training",
        "Add the knowledge check",
        {"input[name=pass_mark]": "80"},
        "Save",
        "pass mark 80%",
    )
    assert s4 > s3
    shot(page, "programs-2-plan-partly-filled")

    # preview it with sales, then try to mark it ready: refused — nobody in sales endorsed it
    page.click("button:has-text('Open the preview round')")
    page.locator(".badge.status-preview").first.wait_for()
    page.click("button:has-text('Mark ready')")
    assert "Not marked ready" in page.content()
    assert "No sales leader of an audience team has endorsed it." in page.content()
    shot(page, "programs-3-gate-refused")
    page.close()

    # the sales leader endorses and acknowledges; marketing names champions and targets
    from decimal import Decimal

    from lockstep.programs import services

    leader = world.membership(world.leader)
    services.endorse(program=program, membership=leader)
    for member in (world.membership(world.rep), world.membership(world.partner)):
        services.add_champion(program=program, acting_user=world.marketer, member=member)
    for team in (world.team, world.partner_team):
        t = services.add_target(
            program=program,
            acting_user=world.marketer,
            team=team,
            metric="meetings",
            value=Decimal(10),
            period="program",
        )
        services.respond_target(target=t, membership=leader, status="acknowledged")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base, "marketer@acme.example")
    page.goto(f"{base}/o/acme/programs/{program.pk}/")
    assert score(page) >= 80
    page.click("button:has-text('Mark ready')")
    page.locator(".badge.status-ready").first.wait_for()
    page.click("button:has-text('Go live')")
    page.locator(".badge.status-live").first.wait_for()
    shot(page, "programs-4-live")
    page.close()


def test_rep_reads_and_acknowledges_the_brief_on_a_phone(
    browser: Any, live_server: Any, world: World
) -> None:
    from tests.scenarios import complete_plan, make_program

    program = make_program(world, status="live")
    complete_plan(world, program)
    page = browser.new_page(viewport={"width": 375, "height": 812}, is_mobile=True)
    log_in(page, live_server.url, "rep@acme.example")
    shot(page, "programs-5-rep-home-phone")
    page.click(f"a:has-text('{program.name}')")
    page.wait_for_url(f"**/programs/{program.pk}/brief/")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, "the brief scrolls sideways at 375px"
    shot(page, "programs-6-brief-phone")
    page.click("[data-testid=ack]")
    page.locator("[data-testid=ack-done]").wait_for()
    assert ActivityEvent.objects.filter(verb="brief.acknowledged", actor=world.rep).count() == 1
    assert briefs.brief_state(program, world.rep).acknowledged
    page.emulate_media(media="print")
    shot(page, "programs-7-brief-print")
    page.close()


def test_demo_program_pages_on_desktop_and_phone(
    browser: Any, live_server: Any, settings: Any
) -> None:
    from lockstep.ops.demo.base import DEMO_PASSWORD
    from lockstep.ops.demo.loader import load_demo

    settings.DEMO = True  # the demo password works in the demo only

    load_demo(lambda _: None)
    base = live_server.url
    draft = Program.objects.get(name="Mid-market bundle pricing")
    preview = Program.objects.get(name="EMEA Data Residency launch")
    for width, suffix in [(1280, "desktop"), (375, "phone")]:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "marketer@demo.example")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/o/demo/")
        for path, name in [
            ("programs/", "list"),
            ("programs/calendar/", "calendar"),
            (f"programs/{draft.pk}/", "draft"),
            (f"programs/{preview.pk}/", "preview"),
        ]:
            page.goto(f"{base}/o/demo/{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{name} scrolls sideways at {width}px"
            shot(page, f"programs-demo-{name}-{suffix}")
        page.close()
