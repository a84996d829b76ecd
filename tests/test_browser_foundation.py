"""Browser journeys: every demo role logs in and lands on its page; switching organization."""

from __future__ import annotations

from typing import Any

import pytest

from lockstep.accounts.models import User
from lockstep.core.permissions import Role
from lockstep.ops.demo.base import DEMO_PASSWORD
from lockstep.ops.demo.loader import load_demo
from lockstep.orgs.models import Membership, Organization
from tests.browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANDINGS = [
    ("owner@demo.example", "Northwind Analytics", "owner"),
    ("marketer@demo.example", "Northwind Analytics", "marketer"),
    ("leader@demo.example", "My teams", "leader"),
    ("rep@demo.example", "Hello Ravi", "rep"),
    ("partner@demo.example", "Hello Paula", "partner"),
    ("viewer@demo.example", "Northwind Analytics", "viewer"),
]


@pytest.fixture
def demo(live_server: Any, settings: Any) -> str:
    settings.DEMO = True  # the demo password works in the demo only
    load_demo(lambda _: None, until="people")
    return str(live_server.url)


def watch_errors(page: Any) -> list[str]:
    """Collect console errors (e.g. CSP violations) and failed requests of a page."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    return errors


def log_in(page: Any, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/o/demo/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


@pytest.mark.parametrize(("email", "heading", "name"), LANDINGS)
def test_each_demo_role_logs_in_and_lands_on_its_page(
    browser: Any, demo: str, email: str, heading: str, name: str
) -> None:
    for width, suffix in [(1280, "desktop"), (375, "phone")]:
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        errors = watch_errors(page)
        log_in(page, demo, email)
        page.wait_for_url(f"{demo}/o/demo/")
        assert heading in page.locator("h1").first.inner_text()
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{name} home scrolls sideways at {width}px"
        shot(page, f"foundation-{name}-home-{suffix}")
        assert not errors, errors  # e.g. a script blocked by the content security policy
        context.close()


def test_wrong_password_then_lockout_message(browser: Any, demo: str) -> None:
    page = browser.new_page()
    log_in(page, demo, "rep@demo.example", "not-the-password")
    assert "do not match" in page.content()
    shot(page, "foundation-login-error")
    page.close()


def test_owner_switches_organization_from_the_header(browser: Any, demo: str) -> None:
    other = Organization.objects.create(name="Contoso Channel", slug="contoso")
    owner = User.objects.get(email="owner@demo.example")
    Membership.objects.create(org=other, user=owner, role=Role.MARKETER)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, demo, "owner@demo.example")
    page.wait_for_url(f"{demo}/o/demo/")
    page.click("[data-testid=org-switcher] summary")
    shot(page, "foundation-org-switcher-open")
    page.click("[data-testid=org-switcher] >> text=Contoso Channel")
    page.wait_for_url(f"{demo}/o/contoso/")
    assert "Contoso Channel" in page.locator("h1").inner_text()
    # the marketer role in Contoso has no Settings tab
    assert page.locator("nav.nav >> text=Settings").count() == 0
    page.close()


def test_owner_pages_render(browser: Any, demo: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, demo, "owner@demo.example")
    page.wait_for_url(f"{demo}/o/demo/")
    for path, name in [
        ("teams/", "teams"),
        ("members/", "people"),
        ("settings/", "settings"),
        ("audit/", "audit"),
        ("members/invite/", "invite"),
    ]:
        page.goto(f"{demo}/o/demo/{path}")
        assert page.locator("h1").count() == 1
        shot(page, f"foundation-owner-{name}")
    page.goto(f"{demo}/o/demo/members/")
    page.fill("#q", "Patel")
    page.locator("#member-table >> text=1–1 of 1").wait_for()
    table = page.locator("#member-table").inner_text()
    assert "1–1 of 1" in table and page.url.endswith("q=Patel&role=")  # htmx pushed the URL
    shot(page, "foundation-people-search")
    page.goto(f"{demo}/o/nope/")
    assert "There is nothing here" in page.content()
    shot(page, "foundation-404")
    page.close()


def test_owner_invites_someone_on_a_phone(browser: Any, demo: str, mailoutbox: Any) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800})
    log_in(page, demo, "owner@demo.example")
    page.wait_for_url(f"{demo}/o/demo/")
    page.goto(f"{demo}/o/demo/members/invite/")
    page.fill("input[name=email]", "new.viewer@demo.example")
    page.select_option("select[name=role]", "viewer")
    shot(page, "foundation-invite-phone")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{demo}/o/demo/members/")
    assert "Invitation sent" in page.content()
    page.close()
