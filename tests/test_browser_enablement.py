"""Browser journey: a rep fails the knowledge check on a phone, retries and passes;
the marketer sees the funnel move."""

from __future__ import annotations

from typing import Any

import pytest

from lockstep.programs.models import CheckQuestion
from tests.browser import log_in, shot
from tests.conftest import World
from tests.scenarios import live_program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer(page: Any, right: bool) -> None:
    for question in CheckQuestion.objects.prefetch_related("choices"):
        for choice in question.choices.all():
            if choice.correct == right or (not right and choice.correct is False):
                page.check(f"input[name=q{question.pk}][value='{choice.pk}']")
                if not right or question.kind == "single":
                    break


def london_understood(page: Any) -> str:
    row = page.locator("table.funnel tr", has_text="London Enterprise")
    return str(row.locator("td[data-label=Understood]").inner_text())


def test_rep_fails_retries_and_passes_on_a_phone(
    browser: Any, live_server: Any, world: World
) -> None:
    program, *_ = live_program(world)
    base = live_server.url
    desk = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(desk, base, "marketer@acme.example")
    desk.goto(f"{base}/o/acme/programs/{program.pk}/funnel/")
    assert london_understood(desk) == "0%"
    shot(desk, "enablement-1-funnel-before")

    phone = browser.new_page(viewport={"width": 375, "height": 812}, is_mobile=True)
    log_in(phone, base, "rep@acme.example")
    phone.goto(f"{base}/o/acme/programs/{program.pk}/brief/")
    phone.click("[data-testid=take-check]")
    phone.wait_for_url("**/check/take/")
    assert not phone.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    shot(phone, "enablement-2-check-phone")
    answer(phone, right=False)
    phone.click("[data-testid=submit-check]")
    phone.wait_for_url("**/check/attempts/*/")
    assert "Not passed yet" in phone.locator("[data-testid=check-result]").inner_text()
    shot(phone, "enablement-3-failed-phone")
    phone.click("[data-testid=retry]")
    phone.wait_for_url("**/check/take/")
    answer(phone, right=True)
    phone.click("[data-testid=submit-check]")
    phone.wait_for_url("**/check/attempts/*/")
    assert "Passed" in phone.locator("[data-testid=check-result]").inner_text()
    shot(phone, "enablement-4-passed-phone")

    desk.reload()
    assert london_understood(desk) == "100%"
    desk.click("table.funnel >> text=London Enterprise")
    desk.locator("#team-reps").wait_for()
    shot(desk, "enablement-5-funnel-after")
    phone.close()
    desk.close()
