"""Browser journeys for results: import a CRM file in the UI, map the columns, follow the
progress and get the error report; a rep works their leads on a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lockstep.results.models import Lead
from tests.browser import log_in, shot
from tests.conftest import World
from tests.scenarios import make_program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_map_progress_and_error_report(
    browser: Any, live_server: Any, world: World, tmp_path: Path
) -> None:
    make_program(world, name="Atlas", campaign_codes=["ATLAS"])
    bad = tmp_path / "crm-export.csv"
    bad.write_text(
        "Deal Ref;Firma;Owner;Kampagne\n"
        "R1;Eins GmbH;rep@acme.example;ATLAS\n"
        "R2;Zwei AG;ghost@nowhere.example;ATLAS\n"
        "R3;=HYPERLINK(1);rep@acme.example;ATLAS\n",
        encoding="latin-1",
    )
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base, "marketer@acme.example")
    page.goto(f"{base}/o/acme/imports/")
    page.set_input_files("input[name=file]", str(bad))
    shot(page, "results-1-upload")
    page.click("main button[type=submit]")
    page.wait_for_url("**/map/")
    page.select_option("select[aria-label='Field for Deal Ref']", "external_id")
    page.select_option("select[aria-label='Field for Firma']", "company")
    page.select_option("select[aria-label='Field for Owner']", "owner")
    page.select_option("select[aria-label='Field for Kampagne']", "campaign")
    shot(page, "results-2-map-columns")
    page.click("[data-testid=start-import]")
    page.wait_for_url("**/imports/*/")
    page.locator("[data-testid=job-summary]").wait_for(timeout=15000)
    assert "Nothing was written" in page.locator("[data-testid=job-summary]").inner_text()
    assert "ghost@nowhere.example" in page.content() and "spreadsheet formula" in page.content()
    shot(page, "results-3-error-report")
    with page.expect_download() as download:
        page.click("[data-testid=error-report]")
    assert b"ghost@nowhere.example" in Path(download.value.path()).read_bytes()
    assert not Lead.objects.exists()
    page.close()


def test_rep_works_leads_on_a_phone(browser: Any, live_server: Any, world: World) -> None:
    from tests.scenarios import lead

    lead(world, None, world.rep, "Late one")
    base = live_server.url
    page = browser.new_page(viewport={"width": 375, "height": 812}, is_mobile=True)
    log_in(page, base, "rep@acme.example")
    page.goto(f"{base}/o/acme/leads/")
    assert "late by" in page.content()
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    shot(page, "results-4-my-leads-phone")
    page.click("button:has-text('Call')")
    page.wait_for_url("**/leads/")
    assert "Call logged" in page.content()
    page.close()
