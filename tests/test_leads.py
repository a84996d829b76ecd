"""Working leads: touches and the SLA, rejection with reasons, reassignment, escalation,
targets against actuals, and the funnel's Executing and Delivering stages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from lockstep.core.models import ActivityEvent, Notification
from lockstep.core.permissions import Role
from lockstep.insights import funnel
from lockstep.orgs.models import Membership
from lockstep.programs import services as program_services
from lockstep.programs.models import Program, ProgramStatus
from lockstep.results import metrics, services
from lockstep.results.business_hours import Calendar
from lockstep.results.models import Lead, LeadStatus, Opportunity, Outcome
from tests.conftest import World
from tests.factories import UserFactory
from tests.scenarios import MONDAY_9, lead, make_program


def test_sla_deadline_is_four_business_hours_in_the_org_time_zone(world: World) -> None:
    world.org.time_zone = "UTC"
    world.org.save()
    friday_4pm = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
    obj = lead(world, None, world.rep, "L1", created=friday_4pm)
    assert obj.sla_due_at == dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def test_touch_sets_first_touch_and_business_seconds(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    obj = lead(world, program, world.rep, "L1", created=timezone.now() - dt.timedelta(minutes=5))
    world.client(world.rep).post(f"/o/acme/leads/{obj.pk}/touch/", {"kind": "call"})
    obj.refresh_from_db()
    assert obj.first_touch_at is not None and obj.status == LeadStatus.WORKING
    assert obj.first_touch_seconds is not None
    assert ActivityEvent.objects.filter(
        verb="lead.touched", actor=world.rep, program=program
    ).exists()
    # someone else's lead is invisible
    assert (
        world.client(world.partner)
        .post(f"/o/acme/leads/{obj.pk}/touch/", {"kind": "call"})
        .status_code
        == 404
    )


def test_bad_touch_kind(world: World) -> None:
    obj = lead(world, None, world.rep, "L1")
    response = world.client(world.rep).post(
        f"/o/acme/leads/{obj.pk}/touch/", {"kind": "pigeon"}, follow=True
    )
    assert "Pick call, e-mail or meeting" in response.content.decode()
    obj.refresh_from_db()
    assert obj.first_touch_at is None


def test_reject_many_needs_a_reason(world: World) -> None:
    a, b = lead(world, None, world.rep, "A"), lead(world, None, world.rep, "B")
    client = world.client(world.rep)
    response = client.post("/o/acme/leads/reject/", {"lead": [a.pk, b.pk]}, follow=True)
    assert "needs a reason" in response.content.decode()
    response = client.post(
        "/o/acme/leads/reject/", {"lead": [a.pk, b.pk], "reason": "other"}, follow=True
    )
    assert "say why" in response.content.decode()
    client.post("/o/acme/leads/reject/", {"lead": [a.pk, b.pk], "reason": "no_budget"})
    assert set(Lead.objects.values_list("status", "rejection_reason__code")) == {
        ("rejected", "no_budget")
    }
    assert ActivityEvent.objects.filter(verb="lead.rejected").count() == 2


def test_leader_reassigns_only_within_their_teams(world: World) -> None:
    obj = lead(world, None, world.rep, "L1")
    partner = world.membership(world.partner)
    world.client(world.leader).post(f"/o/acme/leads/{obj.pk}/reassign/", {"to": partner.pk})
    obj.refresh_from_db()
    assert obj.rep == world.partner
    outsider = Membership.objects.create(org=world.org, user=UserFactory(), role=Role.REP)
    response = world.client(world.leader).post(
        f"/o/acme/leads/{obj.pk}/reassign/", {"to": outsider.pk}, follow=True
    )
    assert "only between reps of the teams you lead" in response.content.decode()
    assert (
        world.client(world.rep)
        .post(f"/o/acme/leads/{obj.pk}/reassign/", {"to": partner.pk})
        .status_code
        == 403
    )


def test_escalation_rep_then_leader_once_each(world: World) -> None:
    world.org.time_zone = "UTC"
    world.org.save()
    obj = lead(world, None, world.rep, "L1")
    assert services.escalate_breaches(now=MONDAY_9 + dt.timedelta(hours=3)) == 0
    assert services.escalate_breaches(now=MONDAY_9 + dt.timedelta(hours=5)) == 1
    assert services.escalate_breaches(now=MONDAY_9 + dt.timedelta(hours=5)) == 0
    assert services.escalate_breaches(now=MONDAY_9 + dt.timedelta(days=1, hours=1)) == 1
    kinds = sorted(Notification.objects.values_list("user__email", "kind"))
    assert kinds == [("leader@acme.example", "sla.escalated"), ("rep@acme.example", "sla.breached")]
    # one event for the breach (webhooks and the scorecard's activity read it), not one a run
    breached = ActivityEvent.objects.filter(verb="lead.sla_breached")
    assert list(breached.values_list("object_id", flat=True)) == [obj.pk]


def test_escalation_steps_are_organization_settings(world: World) -> None:
    world.org.time_zone = "UTC"
    world.org.escalate_rep_percent, world.org.escalate_leader_percent = 50, 100
    world.org.save()
    lead(world, None, world.rep, "L1")  # 4-hour SLA: rep at 2 h, leader at 4 h
    assert services.escalate_breaches(now=MONDAY_9 + dt.timedelta(hours=2, minutes=5)) == 1
    assert services.escalate_breaches(now=MONDAY_9 + dt.timedelta(hours=4, minutes=5)) == 1


def test_my_leads_page_shows_sla_clocks(world: World) -> None:
    lead(world, None, world.rep, "Late")
    lead(world, None, world.rep, "Fresh", created=timezone.now())
    body = world.client(world.rep).get("/o/acme/leads/").content.decode()
    assert "late by" in body and " left" in body
    assert world.client(world.viewer).get("/o/acme/leads/").status_code == 403
    assert "Co Late" in world.client(world.leader).get("/o/acme/leads/").content.decode()


def test_unmatched_leads_are_assigned_by_marketing(world: World) -> None:
    program = make_program(world)
    obj = lead(world, None, world.rep, "U1")
    client = world.client(world.marketer)
    assert "Co U1" in client.get("/o/acme/leads/unmatched/").content.decode()
    junk = client.post(
        "/o/acme/leads/unmatched/", {"lead": ["x", obj.pk], "program": "abc"}, follow=True
    )
    assert junk.status_code == 200 and "Tick leads and pick the program" in junk.content.decode()
    client.post("/o/acme/leads/unmatched/", {"lead": [obj.pk], "program": program.pk})
    obj.refresh_from_db()
    assert obj.program == program


def test_targets_against_actuals_and_the_funnel_executing_delivering(world: World) -> None:
    today = timezone.localdate()
    program = make_program(world, status=ProgramStatus.LIVE)
    Program.objects.filter(pk=program.pk).update(
        launch_date=today - dt.timedelta(days=9), end_date=today + dt.timedelta(days=10)
    )
    program.refresh_from_db()
    # London (rep) must win 20 000 over 20 days: after 10 days 10 000 is expected
    program_services.add_target(
        program=program,
        acting_user=world.marketer,
        team=world.team,
        metric="won_revenue",
        value=Decimal(20000),
        period="program",
    )
    program_services.add_target(
        program=program,
        acting_user=world.marketer,
        team=world.partner_team,
        metric="opportunities",
        value=Decimal(4),
        period="program",
    )
    Opportunity.objects.create(
        org=world.org,
        external_id="O1",
        program=program,
        owner=world.rep,
        amount=Decimal(12000),
        outcome=Outcome.WON,
    )
    now = timezone.now()
    fast = lead(world, program, world.rep, "F", created=now - dt.timedelta(minutes=30))
    services.log_touch(lead=fast, user=world.rep, kind="meeting")
    slow = lead(world, program, world.partner, "S", created=now - dt.timedelta(days=7))
    services.log_touch(lead=slow, user=world.partner, kind="call")
    progress = {p.target.team.name: p for p in metrics.targets_vs_actuals(program, today)}
    assert progress["London Enterprise"].expected == Decimal("10000.00")
    assert (
        progress["London Enterprise"].actual == Decimal("12000")
        and progress["London Enterprise"].on_track
    )
    assert progress["Brightline"].actual == 0 and not progress["Brightline"].on_track
    rows = {r.label: r for r in funnel.program_funnel(program)["rows"]}
    assert rows["London Enterprise"].shares["executing"] == 100.0
    assert rows["Brightline"].shares["executing"] == 0.0
    assert rows["London Enterprise"].shares["delivering"] == 100.0
    assert rows["Brightline"].shares["delivering"] == 0.0
    body = (
        world.client(world.marketer).get(f"/o/acme/programs/{program.pk}/results/").content.decode()
    )
    assert "Targets against actuals" in body and "behind" in body
    assert "Speed-to-lead by team" in body and "Speed-to-lead by rep" in body
    summary = metrics.sla_summary(Lead.objects.filter(program=program))
    assert summary["within_share"] == 50 and summary["late"] == 1
    reps = {r["name"]: r for r in metrics.per_rep(Lead.objects.filter(program=program))}
    assert reps[str(world.rep)]["within_share"] == 100 and reps[str(world.partner)]["late"] == 1


def test_business_calendar_from_org_settings(world: World) -> None:
    world.org.holidays = ["2026-12-25", "not a date"]
    world.org.save()
    calendar = Calendar.for_org(world.org)
    assert dt.date(2026, 12, 25) in calendar.holidays and len(calendar.holidays) == 1


def test_import_in_the_browser_flow(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lockstep.core.models import ImportJob

    client = world.client(world.marketer)
    bad = client.post("/o/acme/imports/", {"kind": "leads", "preset": "generic"})
    assert bad.status_code == 400 and "Choose a CSV or XLSX file" in bad.content.decode()
    exe = client.post(
        "/o/acme/imports/",
        {"kind": "leads", "preset": "generic", "file": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert exe.status_code == 400
    data = b"Ref,Firma,Owner\nR1,Eins GmbH,rep@acme.example\nR2,Zwei AG,ghost@nowhere.example\n"
    response = client.post(
        "/o/acme/imports/",
        {"kind": "leads", "preset": "generic", "file": SimpleUploadedFile("crm.csv", data)},
    )
    job = ImportJob.objects.get()
    assert response["Location"] == f"/o/acme/imports/{job.pk}/map/"
    page = client.get(f"/o/acme/imports/{job.pk}/map/").content.decode()
    assert "Firma" in page
    no_id = client.post(
        f"/o/acme/imports/{job.pk}/map/", {"col0": "", "col1": "company"}, follow=True
    )
    assert "no column holds “external_id”" in no_id.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/o/acme/imports/{job.pk}/map/",
            {"col0": "external_id", "col1": "company", "col2": "owner"},
        )
    job.refresh_from_db()
    assert job.status == "done" and job.report["rejected"] == 1 and not Lead.objects.exists()
    body = client.get(f"/o/acme/imports/{job.pk}/").content.decode()
    assert "Nothing was written" in body and "ghost@nowhere.example" in body
    report = client.get(f"/o/acme/imports/{job.pk}/errors.csv")
    assert (
        report["Content-Disposition"].startswith("attachment")
        and b"ghost@nowhere.example" in report.content
    )
    assert world.client(world.rep).get("/o/acme/imports/").status_code == 403


def test_owner_edits_rejection_reasons(world: World) -> None:
    client = world.client(world.owner)
    assert "Not a fit" in client.get("/o/acme/settings/rejection-reasons/").content.decode()
    client.post("/o/acme/settings/rejection-reasons/", {"label": "Competitor incumbent"})
    from lockstep.results.models import RejectionReason

    reason = RejectionReason.objects.get(code="competitor_incumbent")
    response = client.post(
        "/o/acme/settings/rejection-reasons/", {"label": "Competitor incumbent"}, follow=True
    )
    assert "already a reason" in response.content.decode()
    client.post("/o/acme/settings/rejection-reasons/", {"toggle": reason.pk})
    reason.refresh_from_db()
    assert not reason.active
    assert (
        world.client(world.marketer).get("/o/acme/settings/rejection-reasons/").status_code == 403
    )
