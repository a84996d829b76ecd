"""Issue 9, one ingest path: the command line, the browser and the API share `run_import`
and one registry of kinds; rows are checked once; one SLA function sets every deadline;
imports write one audit row and the events results need."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import random
import zoneinfo
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client

from lockstep.accounts.services import create_token
from lockstep.core.events import Action, Verb
from lockstep.core.imports import Progress, import_kinds, run_import
from lockstep.core.models import ActivityEvent, AuditLog, ImportJob
from lockstep.programs.forms import ProgramForm
from lockstep.programs.models import Program, ProgramStatus
from lockstep.results import services
from lockstep.results.business_hours import Calendar
from lockstep.results.imports import LeadParser, LeadsSpec, OpportunitiesSpec
from lockstep.results.jobs import JobProgress
from lockstep.results.models import Lead, Opportunity
from lockstep.results.sla import SlaClock
from tests.conftest import World
from tests.factories import ImportJobFactory
from tests.scenarios import MONDAY_9, lead, make_program

DATA = Path(__file__).parent / "data" / "leads"


def run(world: World, text: str, spec: Any = None, **kw: Any) -> Any:
    spec = spec or LeadsSpec(world.org, "auto")
    return run_import(spec, io.BytesIO(text.encode()), acting_user=None, **kw)


# --- one registry, one engine -----------------------------------------------------------------


def test_one_registry_of_import_kinds() -> None:
    kinds = import_kinds()
    assert set(kinds) == {"teams", "users", "leads", "opportunities"}
    assert {k for k, v in kinds.items() if v.in_browser} == {"leads", "opportunities"}
    assert kinds["leads"].presets == ("auto", "salesforce", "hubspot", "generic")


def test_rows_are_checked_once(world: World) -> None:
    """The write stages what the check produced: each row is parsed once (it used to be
    validated again by the write pass)."""
    text = "Lead ID,Company,Owner Email\n" + "".join(
        f"L{i},Co {i},rep@acme.example\n" for i in range(250)
    )
    with mock.patch.object(LeadParser, "parse", autospec=True, side_effect=LeadParser.parse) as p:
        report = run(world, text)
    assert report.counts["created"] == 250 and p.call_count == 250


def test_progress_covers_checking_then_writing(world: World) -> None:
    seen: list[Progress] = []
    text = "Lead ID,Company\n" + "".join(f"P{i},Co\n" for i in range(12_000))
    run(world, text, progress=seen.append)
    phases = [p.phase for p in seen]
    assert phases[0] == "checking" and phases[-1] == "writing" and seen[-1].share == 1.0
    assert phases.index("writing") > 0 and "checking" not in phases[phases.index("writing") :]


def test_job_progress_bar_spans_both_passes() -> None:
    job = ImportJob(size=1000, bytes_checked=500, status=ImportJob.Status.RUNNING)
    assert job.percent == 35
    job.phase, job.write_share = "writing", 50
    assert job.percent == 85
    job.status = ImportJob.Status.DONE
    assert job.percent == 100


def test_each_import_writes_one_audit_row_from_each_source(
    world: World, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Lead ID,Company\nA1,Acme\n")
    call_command("import", "leads", str(path), "--org", "acme")
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    Client().post(
        "/api/v1/leads", data=json.dumps([{"external_id": "A2"}]),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    client = world.client(world.marketer)
    client.post(
        "/o/acme/imports/",
        {"kind": "leads", "preset": "auto", "file": SimpleUploadedFile("b.csv", b"Lead ID\nA3\n")},
    )
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/o/acme/imports/{job.pk}/map/", {"col0": "external_id"})
    rows = AuditLog.objects.filter(action=Action.IMPORT_FINISHED).order_by("id")
    assert [(r.changes["source"][1], r.changes["file"][1]) for r in rows] == [
        ("cli", "crm.csv"), ("api", ""), ("browser", "b.csv"),
    ]  # fmt: skip
    assert rows[2].actor == world.marketer and rows[2].changes["created"] == [None, 1]
    assert "“Lead ID” → external_id" in rows[0].changes["columns"][1][0]


def test_lead_imports_emit_one_event_per_program(world: World) -> None:
    atlas = make_program(world, name="Atlas", campaign_codes=["ATLAS"])
    text = "Lead ID,Campaign\nE1,ATLAS\nE2,ATLAS\nE3,Other\n"
    run(world, text)
    events = ActivityEvent.objects.filter(verb=Verb.LEAD_IMPORTED)
    assert {(e.program_id, e.payload["rows"]) for e in events} == {(atlas.pk, 2), (None, 1)}
    run(world, text)  # nothing changed: no new events
    assert ActivityEvent.objects.filter(verb=Verb.LEAD_IMPORTED).count() == 2


def test_opportunities_emit_created_and_won_events(world: World) -> None:
    program = make_program(world, name="Atlas", campaign_codes=["ATLAS"])
    head = "Opportunity ID,Stage,Amount,Owner Email,Campaign Name\n"
    first = (
        head
        + "O1,Closed Won,100,rep@acme.example,ATLAS\nO2,Prospecting,50,rep@acme.example,ATLAS\n"
    )
    assert run(world, first, OpportunitiesSpec(world.org, "auto")).counts["created"] == 2
    events = ActivityEvent.objects.filter(verb__startswith="opportunity.")

    def seen() -> list[tuple[str, str]]:
        return sorted(
            (e.verb, Opportunity.objects.get(pk=e.object_id or 0).external_id) for e in events.all()
        )

    assert seen() == [("opportunity.created", "O1"), ("opportunity.created", "O2"),
                      ("opportunity.won", "O1")]  # fmt: skip
    assert {(e.actor_id, e.program_id) for e in events.all()} == {(world.rep.pk, program.pk)}
    run(world, first, OpportunitiesSpec(world.org, "auto"))
    assert len(seen()) == 3  # the same file again: no events
    won = (
        head + "O1,Closed Won,100,rep@acme.example,ATLAS\nO2,Closed Won,60,rep@acme.example,ATLAS\n"
    )
    assert run(world, won, OpportunitiesSpec(world.org, "auto")).counts["updated"] == 1
    assert seen()[-1] == ("opportunity.won", "O2") and len(seen()) == 4


# --- one SLA function -------------------------------------------------------------------------


@pytest.fixture
def calendar(world: World) -> Calendar:
    world.org.time_zone = "Europe/London"
    world.org.holidays = ["2026-12-25"]
    world.org.save()
    return Calendar.for_org(world.org)


def test_the_cached_clock_agrees_with_the_calendar(world: World) -> None:
    """The clock remembers answers per hour of creation time; it must always agree with
    the calendar's own arithmetic (odd hours, a half-hour zone, a DST change, a holiday)."""
    world.org.time_zone = "Asia/Kolkata"
    world.org.business_day_start, world.org.business_day_end = dt.time(9, 30), dt.time(17, 15)
    world.org.holidays = ["2026-03-30"]
    world.org.save()
    for zone in ("Asia/Kolkata", "Europe/London"):
        world.org.time_zone = zone
        calendar = Calendar.for_org(world.org)
        clock = SlaClock(calendar)
        rng = random.Random(zone)
        start = dt.datetime(2026, 3, 25, tzinfo=zoneinfo.ZoneInfo(zone))  # DST on the 29th
        for _ in range(3000):
            moment = start + dt.timedelta(minutes=rng.randrange(0, 14 * 24 * 60))
            hours = rng.choice([1, 4, 8, 30])
            expected = calendar.add(moment, dt.timedelta(hours=hours))
            assert clock.deadline(moment, hours) == expected, (zone, moment, hours)


def test_an_imported_lead_and_a_touched_lead_share_the_sla(
    world: World, calendar: Calendar
) -> None:
    """Import, the API and a first touch compute the deadline and the business time to
    first touch with the same function."""
    created = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)  # a Friday, 4 pm
    run(world, f"Lead ID,Create Date,First Touch\nS1,{created.isoformat()},2026-11-23T10:00:00Z\n")
    imported = Lead.objects.get(external_id="S1")
    due, seconds = services.sla_fields(calendar, created, imported.first_touch_at, 4)
    assert (imported.sla_due_at, imported.first_touch_seconds) == (due, seconds)
    assert imported.sla_due_at == dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    assert imported.first_touch_seconds == 2 * 3600  # Friday 4-5 pm, Monday 9-10 am


def test_leads_assigned_to_a_program_take_its_sla(world: World) -> None:
    """Unmatched leads (the 4-hour default) given to an 8-hour program get its deadline."""
    world.org.time_zone = "UTC"
    world.org.save()
    program = make_program(world)
    Program.objects.filter(pk=program.pk).update(sla_hours=8)
    program.refresh_from_db()
    obj = lead(world, None, world.rep, "U1")
    assert obj.sla_due_at == MONDAY_9 + dt.timedelta(hours=4)
    services.assign_to_program(
        org=world.org, acting_user=world.marketer, lead_ids=[obj.pk], program=program
    )
    obj.refresh_from_db()
    assert obj.sla_due_at == MONDAY_9 + dt.timedelta(hours=8)


def test_changing_a_programs_sla_recomputes_its_open_leads(world: World) -> None:
    world.org.time_zone = "UTC"
    world.org.save()
    program = make_program(world, status=ProgramStatus.LIVE)
    waiting = lead(world, program, world.rep, "W1")
    touched = lead(world, program, world.rep, "T1")
    Lead.objects.filter(pk=touched.pk).update(first_touch_at=MONDAY_9 + dt.timedelta(hours=5))
    client = world.client(world.marketer)
    page = client.get(f"/o/acme/programs/{program.pk}/results/").content.decode()
    assert 'data-testid="sla-form"' in page
    client.post(f"/o/acme/programs/{program.pk}/results/sla/", {"sla_hours": "6"})
    program.refresh_from_db()
    waiting.refresh_from_db()
    touched.refresh_from_db()
    assert program.sla_hours == 6
    assert waiting.sla_due_at == MONDAY_9 + dt.timedelta(hours=6)
    assert touched.sla_due_at == MONDAY_9 + dt.timedelta(hours=4)  # judged by the old SLA
    audit = AuditLog.objects.filter(action=Action.PROGRAM_UPDATED).latest("id")
    assert audit.changes == {"sla_hours": [4, 6]}
    bad = client.post(f"/o/acme/programs/{program.pk}/results/sla/", {"sla_hours": "0"})
    assert bad.status_code in (302, 400)
    program.refresh_from_db()
    assert program.sla_hours == 6
    viewer = world.client(world.viewer).post(
        f"/o/acme/programs/{program.pk}/results/sla/", {"sla_hours": "9"}
    )
    assert viewer.status_code == 403
    outsider = world.client(world.outsider).post(
        f"/o/acme/programs/{program.pk}/results/sla/", {"sla_hours": "9"}
    )
    assert outsider.status_code == 404


def test_the_program_form_no_longer_sets_the_sla(world: World) -> None:
    assert "sla_hours" not in ProgramForm(org=world.org).fields


# --- what a re-import keeps -------------------------------------------------------------------


def test_a_reimport_keeps_lockstep_touches_and_marketings_assignment(world: World) -> None:
    """A CRM file without a first-touch column keeps the touch a rep logged; a campaign that
    matches no program keeps the program marketing assigned; both keep their deadlines."""
    world.org.time_zone = "UTC"
    world.org.save()
    program = make_program(world)
    Program.objects.filter(pk=program.pk).update(sla_hours=8)
    text = "Lead ID,Campaign,Owner Email,Create Date\nR1,Spring webinar,rep@acme.example,2026-11-23T09:00:00Z\n"
    assert run(world, text).counts["created"] == 1
    obj = Lead.objects.get(external_id="R1")
    services.assign_to_program(
        org=world.org, acting_user=world.marketer, lead_ids=[obj.pk], program=program
    )
    obj.refresh_from_db()
    services.log_touch(lead=obj, user=world.rep, kind="call")
    obj.refresh_from_db()
    before = (obj.program_id, obj.first_touch_at, obj.first_touch_seconds, obj.sla_due_at)
    again = run(world, text)
    assert again.counts["unchanged"] == 1, again
    obj.refresh_from_db()
    assert (obj.program_id, obj.first_touch_at, obj.first_touch_seconds, obj.sla_due_at) == before
    assert obj.sla_due_at == MONDAY_9 + dt.timedelta(hours=8)


def test_a_file_without_a_column_leaves_that_field_alone(world: World) -> None:
    run(world, "Lead ID,Company,Phone\nK1,Keep Ltd,+1 555 0100\n")
    changed = run(world, "Lead ID,Phone\nK1,+1 555 0199\n")
    assert changed.counts["updated"] == 1
    obj = Lead.objects.get(external_id="K1")
    assert (obj.company, obj.phone) == ("Keep Ltd", "+1 555 0199")


def test_an_api_lead_without_a_creation_time_gets_a_deadline(world: World) -> None:
    """An API lead without created_at is created now and has a deadline (it used to have
    none and never counted as late)."""
    make_program(world, campaign_codes=["ATLAS"])
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    Client().post(
        "/api/v1/leads",
        data=json.dumps({"external_id": "N1", "campaign": "ATLAS", "owner": "rep@acme.example"}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    obj = Lead.objects.get(external_id="N1")
    assert obj.sla_due_at is not None and obj.sla_due_at > obj.created_at


def test_the_job_page_follows_both_passes(world: World) -> None:
    """The worker's progress reaches the job's row (checking: rows and bytes; writing:
    its share), at most twice a second except the end of the write."""
    job = ImportJobFactory(org=world.org, size=1000, status=ImportJob.Status.RUNNING)
    progress = JobProgress(job.pk, job.size)
    progress(Progress("checking", 500, 0.5))
    job.refresh_from_db()
    assert (job.phase, job.rows_checked, job.bytes_checked, job.percent) == (
        "checking", 500, 500, 35,
    )  # fmt: skip
    progress(Progress("checking", 600, 0.6))  # too soon: skipped
    job.refresh_from_db()
    assert job.rows_checked == 500
    progress.last = 0.0
    # outside the import's transaction (here: pretend the test's is not there)
    with mock.patch.object(connection, "in_atomic_block", False):
        progress(Progress("writing", 1000, 0.5))
    job.refresh_from_db()
    assert (job.phase, job.write_share, job.percent) == ("writing", 50, 85)
    progress.close()


def test_the_command_draws_one_bar_over_both_passes() -> None:
    command = importlib.import_module("lockstep.ops.management.commands.import").Command()
    out = io.StringIO()
    command.stderr._out = out
    command.progress_bar(Progress("checking", 5000, 0.5))
    command.progress_bar(Progress("writing", 10000, 0.5))
    drawn = out.getvalue()
    assert "checking [" in drawn and " 35%" in drawn
    assert "writing [" in drawn and " 85%" in drawn
