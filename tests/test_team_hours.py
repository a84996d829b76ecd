"""Big organizations: a time zone and business hours per region or team, inherited down
the tree, used by the first-touch SLA of each rep's leads; searchable, validated zones."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

from lockstep.core.imports import run_import
from lockstep.orgs.models import Organization, Team
from lockstep.orgs.selectors import hours_by_team, team_hours, team_tzinfo
from lockstep.results import services
from lockstep.results.business_hours import Calendar
from lockstep.results.imports import LeadsSpec
from lockstep.results.models import Lead
from tests.conftest import World
from tests.factories import MembershipFactory, TeamFactory
from tests.scenarios import make_program

SINGAPORE = zoneinfo.ZoneInfo("Asia/Singapore")
# Monday 23 November 2026, 10:00 in Singapore = 02:00 UTC: open in Singapore, closed in UTC
MONDAY_10_SGT = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SINGAPORE)


def apac(world: World) -> tuple[Team, Team, Team]:
    """APAC (Singapore, 08:00–17:00) → Sydney (own zone) and Singapore Direct (inherits;
    works Sunday to Thursday)."""
    region = TeamFactory(
        org=world.org, name="APAC", time_zone="Asia/Singapore",
        business_day_start=dt.time(8), business_day_end=dt.time(17),
    )  # fmt: skip
    sydney = TeamFactory(org=world.org, name="Sydney", parent=region, time_zone="Australia/Sydney")
    direct = TeamFactory(
        org=world.org, name="Singapore Direct", parent=region, business_days=[6, 0, 1, 2, 3]
    )
    return region, sydney, direct


def test_hours_are_inherited_down_the_tree(world: World) -> None:
    region, sydney, direct = apac(world)
    hours = hours_by_team(world.org)
    assert hours[world.team.pk] == team_hours(None, world.org)  # EMEA sets nothing
    assert (hours[sydney.pk].time_zone, hours[sydney.pk].opens) == ("Australia/Sydney", dt.time(8))
    assert hours[direct.pk].time_zone == "Asia/Singapore"
    assert hours[direct.pk].days == frozenset({6, 0, 1, 2, 3})
    assert hours[region.pk].days == frozenset({0, 1, 2, 3, 4})  # the organization's
    assert team_tzinfo(direct) == SINGAPORE and team_tzinfo(world.team) == world.org.tzinfo
    assert Calendar.for_team(sydney).tz == zoneinfo.ZoneInfo("Australia/Sydney")
    assert Calendar.for_team(None, world.org) == Calendar.for_org(world.org)


def test_a_leads_sla_clock_follows_its_reps_team(world: World) -> None:
    _, _, direct = apac(world)
    program = make_program(world)
    apac_rep = MembershipFactory(org=world.org, team=direct).user
    lead = Lead(org=world.org, external_id="L1", program=program, rep=apac_rep,
                created_at=MONDAY_10_SGT)  # fmt: skip
    services.refresh_sla(lead)
    # 4 business hours in Singapore: 10:00 → 14:00 the same day
    assert lead.sla_due_at == dt.datetime(2026, 11, 23, 14, 0, tzinfo=SINGAPORE)
    emea = Lead(org=world.org, external_id="L2", program=program, rep=world.rep,
                created_at=MONDAY_10_SGT)  # fmt: skip
    services.refresh_sla(emea)
    # the organization's clock (UTC, 09:00–17:00): starts at 09:00 UTC, due 13:00 UTC
    assert emea.sla_due_at == dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)


def test_imported_leads_are_timed_by_their_owners_team(world: World) -> None:
    _, _, direct = apac(world)
    apac_rep = MembershipFactory(org=world.org, team=direct, user__email="kai@acme.example").user
    text = (
        "Lead ID,Company,Owner Email,Created Date\n"
        "A-1,Initech,kai@acme.example,2026-11-23 02:00\n"
        "A-2,Globex,rep@acme.example,2026-11-23 02:00\n"
    )
    report = run_import(LeadsSpec(world.org, "auto"), io.BytesIO(text.encode()), acting_user=None)
    assert report.counts["created"] == 2, report
    apac_lead, emea_lead = Lead.objects.get(external_id="A-1"), Lead.objects.get(external_id="A-2")
    assert apac_lead.rep == apac_rep
    assert apac_lead.sla_due_at == dt.datetime(2026, 11, 23, 14, 0, tzinfo=SINGAPORE)
    assert emea_lead.sla_due_at == dt.datetime(2026, 11, 23, 13, 0, tzinfo=dt.UTC)


def test_team_form_sets_and_validates_the_clock(world: World) -> None:
    client = world.client(world.owner)
    page = client.get(f"/o/acme/teams/{world.region.pk}/edit/").content.decode()
    assert 'data-filter="zones"' in page and "inherited (UTC)" in page
    response = client.post(
        f"/o/acme/teams/{world.region.pk}/edit/",
        {"name": "EMEA", "channel": "direct", "time_zone": "Europe/Berlin",
         "business_day_start": "08:00", "business_day_end": "16:30"},
    )  # fmt: skip
    assert response.status_code == 302
    region = Team.objects.get(pk=world.region.pk)
    assert (region.time_zone, region.business_day_end) == ("Europe/Berlin", dt.time(16, 30))
    assert team_tzinfo(world.team) == zoneinfo.ZoneInfo("Europe/Berlin")  # inherited
    for bad, message in [
        ({"time_zone": "Mars/Olympus"}, "not a known time zone"),
        ({"business_day_start": "09:00"}, "Give both the start and the end"),
        ({"business_day_start": "18:00", "business_day_end": "09:00"}, "must end after"),
    ]:
        data = {"name": "EMEA", "channel": "direct", **bad}
        response = client.post(f"/o/acme/teams/{world.region.pk}/edit/", data)
        assert response.status_code == 400 and message in response.content.decode(), bad
    assert Team.objects.get(pk=world.region.pk).time_zone == "Europe/Berlin"


def test_settings_time_zone_is_a_searchable_list(world: World) -> None:
    page = world.client(world.owner).get("/o/acme/settings/").content.decode()
    assert 'data-filter="zones"' in page and '<option value="America/New_York"' in page
    assert Organization.objects.get(pk=world.org.pk).time_zone == "UTC"
