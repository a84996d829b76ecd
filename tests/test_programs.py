"""Programs: create/list/calendar, the six sections, the launch gate, the rep brief."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from lockstep.core.errors import DomainError
from lockstep.core.models import ActivityEvent, AuditLog
from lockstep.core.permissions import Role
from lockstep.feedback.models import RepQuestion
from lockstep.orgs.models import Membership, Team
from lockstep.programs import selectors, services
from lockstep.programs.inputs import (
    ActivityInput,
    AssetInput,
)
from lockstep.programs.models import (
    Asset,
    Endorsement,
    PreviewFeedback,
    Program,
    ProgramStatus,
    SellInActivity,
    Target,
)
from tests.conftest import World
from tests.factories import UserFactory
from tests.scenarios import TODAY, complete_plan, make_program

# --- create, list, calendar -----------------------------------------------------------


def test_marketer_creates_a_program(world: World) -> None:
    response = world.client(world.marketer).post(
        "/o/acme/programs/new/",
        {
            "name": "Spring launch",
            "kind": "campaign",
            "summary": "Hello",
            "audience": [world.region.pk],
            "launch_date": "2027-03-01",
            "end_date": "2027-05-01",
            "campaign_codes": "SPRING-27, spring_web",
        },
    )
    program = Program.objects.get(name="Spring launch")
    assert response["Location"] == f"/o/acme/programs/{program.pk}/"
    assert program.campaign_codes == ["SPRING-27", "spring_web"]
    assert AuditLog.objects.filter(action="program.created", object_id=program.pk).exists()
    assert ActivityEvent.objects.filter(verb="program.created", program=program).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "campaign"}, "This field is required"),
        (
            {
                "name": "X",
                "kind": "campaign",
                "launch_date": "2027-03-01",
                "end_date": "2027-02-01",
            },
            "before the launch date",
        ),
        (
            {"name": "X", "kind": "campaign", "campaign_codes": "ok, <script>"},
            "not a valid campaign code",
        ),
        ({"name": "X", "kind": "campaign", "campaign_codes": "A, a"}, "listed twice"),
        ({"name": "X", "kind": "campaign", "launch_date": "31/31/2027"}, "Enter a valid date"),
        ({"name": "X", "kind": "teleport"}, "Select a valid choice"),
    ],
)
def test_create_program_bad_input(world: World, data: dict[str, str], message: str) -> None:
    response = world.client(world.marketer).post("/o/acme/programs/new/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Program.objects.exists()


def test_campaign_code_is_unique_across_programs(world: World) -> None:
    make_program(world, name="First", campaign_codes=["ATLAS"])
    response = world.client(world.marketer).post(
        "/o/acme/programs/new/", {"name": "Second", "kind": "campaign", "campaign_codes": "atlas"}
    )
    assert (
        response.status_code == 400
        and "already used by the program “First”" in response.content.decode()
    )


@pytest.mark.parametrize("who", ["leader", "rep", "partner", "viewer"])
def test_only_marketers_and_owners_create(world: World, who: str) -> None:
    assert world.client(getattr(world, who)).get("/o/acme/programs/new/").status_code == 403


def test_list_filters(world: World) -> None:
    make_program(world, name="Alpha")
    beta = make_program(
        world, name="Beta", status=ProgramStatus.LIVE, audience=[world.partner_team]
    )
    client = world.client(world.marketer)
    body = client.get("/o/acme/programs/?status=live").content.decode()
    assert "Beta" in body and "Alpha" not in body
    # a program for the region reaches its sub-teams: filtering by a sub-team finds it
    body = client.get(f"/o/acme/programs/?team={world.team.pk}").content.decode()
    assert "Alpha" in body and "Beta" not in body
    services.set_archived(program=beta, acting_user=world.marketer, archived=True)
    assert "Beta" not in client.get("/o/acme/programs/").content.decode()
    assert "Beta" in client.get("/o/acme/programs/?status=archived").content.decode()
    assert client.get("/o/acme/programs/?status=bogus&team=abc&page=x").status_code == 200


def test_leader_sees_no_drafts_and_only_programs_for_their_teams(world: World) -> None:
    make_program(world, name="Draft one")
    make_program(world, name="Preview one", status=ProgramStatus.PREVIEW)
    other = Team.objects.create(org=world.org, name="APAC")
    elsewhere = make_program(world, name="Elsewhere", status=ProgramStatus.LIVE, audience=[other])
    client = world.client(world.leader)
    body = client.get("/o/acme/programs/").content.decode()
    assert "Preview one" in body and "Draft one" not in body and "Elsewhere" not in body
    assert client.get(f"/o/acme/programs/{elsewhere.pk}/").status_code == 404


def test_calendar_shows_launches_and_survives_bad_month(world: World) -> None:
    make_program(world, name="Atlas")
    client = world.client(world.viewer)
    month = (TODAY + dt.timedelta(days=10)).strftime("%Y-%m")
    assert "Atlas" in client.get(f"/o/acme/programs/calendar/?month={month}").content.decode()
    for bad in ["2027-13", "abc", "2027", "-1--1"]:
        assert client.get(f"/o/acme/programs/calendar/?month={bad}").status_code == 200


# --- sections -------------------------------------------------------------------------


def test_sections_update_with_htmx_and_the_score_rises(world: World) -> None:
    program = make_program(world)
    client = world.client(world.marketer)
    start = selectors.program_readiness(program).score
    response = client.post(
        f"/o/acme/programs/{program.pk}/activities/",
        {"kind": "kickoff", "date": TODAY.isoformat(), "teams": [world.region.pk]},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="scorecard" hx-swap-oob="true"' in body
    assert "Kickoff briefing" in body
    assert selectors.program_readiness(program).score > start


def test_activity_for_a_team_outside_the_audience_is_rejected(world: World) -> None:
    program = make_program(world, audience=[world.team])
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/activities/",
        {"kind": "kickoff", "date": TODAY.isoformat(), "teams": [world.partner_team.pk]},
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not SellInActivity.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "wiifm": "x",
                "incentive_kind": "spiff",
                "incentive_amount": "",
                "incentive_currency": "EUR",
            },
            "amount",
        ),
        (
            {
                "wiifm": "x",
                "incentive_kind": "spiff",
                "incentive_amount": "100",
                "incentive_currency": "e1r",
            },
            "three-letter",
        ),
        ({"wiifm": "x" * 281, "incentive_kind": "none"}, "at most 280 characters"),
        (
            {
                "wiifm": "x",
                "incentive_kind": "spiff",
                "incentive_amount": "-5",
                "incentive_currency": "EUR",
            },
            "greater than or equal to 0",
        ),
    ],
)
def test_wiifm_bad_input(world: World, data: dict[str, str], message: str) -> None:
    program = make_program(world)
    response = world.client(world.marketer).post(f"/o/acme/programs/{program.pk}/wiifm/", data)
    assert response.status_code == 400 and message in response.content.decode()
    program.refresh_from_db()
    assert program.wiifm == ""


def upload(name: str, size: int = 10, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or b"x" * size, content_type="application/pdf")


def test_asset_upload_and_download(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    client = world.client(world.marketer)
    response = client.post(
        f"/o/acme/programs/{program.pk}/assets/",
        {
            "kind": "brief",
            "title": "One-pager",
            "file": upload("../../etc/one pager.pdf", content=b"%PDF-1.4 hi"),
        },
    )
    assert response.status_code == 302
    asset = Asset.objects.get()
    assert asset.original_name == "one pager.pdf" and ".." not in str(asset.file.name)
    download = world.client(world.rep).get(f"/o/acme/programs/{program.pk}/assets/{asset.pk}/open/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 hi"  # type: ignore[attr-defined]
    assert ActivityEvent.objects.filter(verb="asset.downloaded", actor=world.rep).exists()


@override_settings(ASSET_MAX_MB=1)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"kind": "brief", "title": "Big", "file": upload("big.pdf", size=1024 * 1024 + 1)},
            "the limit is 1 MB",
        ),
        ({"kind": "brief", "title": "Exe", "file": upload("tool.exe")}, "“.exe” are not accepted"),
        (
            {"kind": "brief", "title": "Html", "file": upload("page.html")},
            "“.html” are not accepted",
        ),
        ({"kind": "brief", "title": "None"}, "Upload a file or give a link"),
        (
            {"kind": "brief", "title": "Both", "file": upload("a.pdf"), "url": "https://x.example"},
            "one of the two",
        ),
        ({"kind": "brief", "title": "Js", "url": "javascript:alert(1)"}, "Enter a valid URL"),
    ],
)
def test_asset_upload_bad_input(world: World, data: dict[str, Any], message: str) -> None:
    program = make_program(world)
    response = world.client(world.marketer).post(f"/o/acme/programs/{program.pk}/assets/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Asset.objects.exists()


def test_partner_reps_only_get_partner_visible_assets(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    hidden = services.add_asset(
        program=program,
        acting_user=world.marketer,
        data=AssetInput(
            kind="battlecard", title="Internal battlecard", url="https://kit.example/b"
        ),
    )
    shared = services.add_asset(
        program=program,
        acting_user=world.marketer,
        data=AssetInput(
            kind="brief", title="Partner brief", url="https://kit.example/p", partner_visible=True
        ),
    )
    client = world.client(world.partner)
    body = client.get(f"/o/acme/programs/{program.pk}/brief/").content.decode()
    assert "Partner brief" in body and "Internal battlecard" not in body
    assert client.get(f"/o/acme/programs/{program.pk}/assets/{hidden.pk}/open/").status_code == 404
    assert client.get(f"/o/acme/programs/{program.pk}/assets/{shared.pk}/open/").status_code == 302


def test_targets_and_leader_acknowledgement(world: World) -> None:
    program = make_program(world, status=ProgramStatus.PREVIEW)
    world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/targets/",
        {"team": world.team.pk, "metric": "meetings", "value": "12", "period": "quarter"},
    )
    target = Target.objects.get()
    leader = world.client(world.leader)
    response = leader.post(
        f"/o/acme/programs/{program.pk}/targets/{target.pk}/respond/",
        {"status": "disputed", "comment": ""},
        follow=True,
    )
    assert "Say why you dispute it" in response.content.decode()
    leader.post(
        f"/o/acme/programs/{program.pk}/targets/{target.pk}/respond/", {"status": "acknowledged"}
    )
    target.refresh_from_db()
    assert target.status == "acknowledged" and target.responded_by == world.leader
    # a marketer cannot acknowledge on the leader's behalf
    assert (
        world.client(world.marketer)
        .post(
            f"/o/acme/programs/{program.pk}/targets/{target.pk}/respond/",
            {"status": "acknowledged"},
        )
        .status_code
        == 403
    )


def test_leader_of_another_team_cannot_acknowledge(world: World) -> None:
    program = make_program(world, status=ProgramStatus.PREVIEW)
    target = services.add_target(
        program=program,
        acting_user=world.marketer,
        team=world.team,
        metric="meetings",
        value=Decimal(5),
        period="program",
    )
    apac = Team.objects.create(org=world.org, name="APAC")
    other = Membership.objects.create(org=world.org, user=UserFactory(), role=Role.SALES_LEADER)
    other.led_teams.add(apac)
    with pytest.raises(DomainError, match="Only a leader of this team"):
        services.respond_target(target=target, membership=other, status="acknowledged")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "live", "title": "Live", "duration_minutes": "30"}, "needs a date and time"),
        (
            {
                "kind": "live",
                "title": "Live",
                "duration_minutes": "30",
                "starts_at": "2027-01-01T10:00",
            },
            "joining link",
        ),
        ({"kind": "self_paced", "title": "Mod", "duration_minutes": "30"}, "link to the module"),
        (
            {"kind": "self_paced", "title": "Mod", "duration_minutes": "0", "content": "x"},
            "greater than or equal to 1",
        ),
    ],
)
def test_training_bad_input(world: World, data: dict[str, str], message: str) -> None:
    program = make_program(world)
    response = world.client(world.marketer).post(f"/o/acme/programs/{program.pk}/training/", data)
    assert response.status_code == 400 and message in response.content.decode()


# --- buy-in -----------------------------------------------------------------------------


def test_only_a_leader_of_the_audience_endorses_themself(world: World) -> None:
    program = make_program(world, status=ProgramStatus.PREVIEW)
    assert (
        world.client(world.marketer).post(f"/o/acme/programs/{program.pk}/endorse/").status_code
        == 403
    )
    world.client(world.leader).post(f"/o/acme/programs/{program.pk}/endorse/", {"comment": "In."})
    assert Endorsement.objects.get().leader == world.leader
    with pytest.raises(DomainError, match="already endorsed"):
        services.endorse(program=program, membership=world.membership(world.leader))
    apac = Team.objects.create(org=world.org, name="APAC")
    outsider = Membership.objects.create(org=world.org, user=UserFactory(), role=Role.SALES_LEADER)
    outsider.led_teams.add(apac)
    with pytest.raises(DomainError, match="sales leader of an audience team"):
        services.endorse(program=program, membership=outsider)


def test_preview_feedback_round(world: World) -> None:
    program = make_program(world, status=ProgramStatus.PREVIEW)
    rep = world.client(world.rep)
    assert "Preview" in rep.get(f"/o/acme/programs/{program.pk}/brief/").content.decode()
    rep.post(f"/o/acme/programs/{program.pk}/feedback/", {"body": "Need a German talk track"})
    item = PreviewFeedback.objects.get()
    assert item.author == world.rep and item.is_open
    assert selectors.program_readiness(program).questions[1].findings  # open feedback is a finding
    world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/feedback/{item.pk}/respond/",
        {"response": "Done", "addressed": "on"},
    )
    item.refresh_from_db()
    assert not item.is_open and item.response == "Done"


def test_feedback_outside_preview_is_refused(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    with pytest.raises(DomainError, match="in preview"):
        services.give_feedback(program=program, membership=world.membership(world.rep), body="x")


def test_champion_must_be_a_rep_of_the_audience(world: World) -> None:
    program = make_program(world, audience=[world.team])
    with pytest.raises(DomainError, match="rep of one of the audience teams"):
        services.add_champion(
            program=program, acting_user=world.marketer, member=world.membership(world.partner)
        )


# --- lifecycle and the launch gate ------------------------------------------------------


def test_transitions_follow_the_lifecycle(world: World) -> None:
    program = make_program(world)
    with pytest.raises(DomainError, match="cannot move to live"):
        services.transition(program=program, acting_user=world.marketer, to="live")
    program = services.transition(program=program, acting_user=world.marketer, to="preview")
    assert program.status == "preview"
    assert AuditLog.objects.filter(
        action="program.status_changed", changes__status=["draft", "preview"]
    ).exists()
    assert ActivityEvent.objects.filter(verb="program.preview", program=program).exists()


def test_launch_is_refused_below_the_threshold_with_findings(world: World) -> None:
    program = make_program(world, status=ProgramStatus.READY)
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/transition/", {"to": "live"}
    )
    body = response.content.decode()
    assert response.status_code == 400 and "Not launched" in body
    assert "No sales leader has endorsed" in body
    program.refresh_from_db()
    assert program.status == "ready"


def test_marketer_cannot_override_the_gate(world: World) -> None:
    program = make_program(world, status=ProgramStatus.READY)
    with pytest.raises(services.GateRefused):
        services.transition(
            program=program,
            acting_user=world.marketer,
            to="live",
            override_reason="please",
            acting_role=Role.MARKETER,
        )


def test_owner_overrides_with_a_written_reason(world: World) -> None:
    program = make_program(world, status=ProgramStatus.READY)
    client = world.client(world.owner)
    response = client.post(
        f"/o/acme/programs/{program.pk}/transition/", {"to": "live", "override_reason": "  "}
    )
    assert response.status_code == 400
    client.post(
        f"/o/acme/programs/{program.pk}/transition/",
        {"to": "live", "override_reason": "Board date"},
    )
    program.refresh_from_db()
    assert program.status == "live" and program.override_reason == "Board date"
    assert program.override_by == world.owner
    entry = AuditLog.objects.get(action="program.status_changed", changes__status=["ready", "live"])
    assert "Board date" in entry.note
    assert "Board date" in client.get(f"/o/acme/programs/{program.pk}/").content.decode()


def test_a_complete_program_launches(world: World) -> None:
    program = make_program(world, status=ProgramStatus.READY)
    complete_plan(world, program)
    assert selectors.program_readiness(program).score == 100
    program = services.transition(program=program, acting_user=world.marketer, to="live")
    assert program.status == "live" and program.launch_score == 100 and not program.override_reason


# --- the rep brief ----------------------------------------------------------------------


def test_rep_opens_acknowledges_and_asks(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    complete_plan(world, program)
    client = world.client(world.rep)
    home = client.get("/o/acme/").content.decode()
    assert "Atlas launch" in home and "Read the brief and confirm" in home
    body = client.get(f"/o/acme/programs/{program.pk}/brief/").content.decode()
    assert "Double commission" in body and "your share" in body
    assert ActivityEvent.objects.filter(
        verb="brief.opened", actor=world.rep, program=program
    ).exists()
    client.post(f"/o/acme/programs/{program.pk}/brief/ack/")
    client.post(f"/o/acme/programs/{program.pk}/brief/ack/")
    assert ActivityEvent.objects.filter(verb="brief.acknowledged", actor=world.rep).count() == 1
    assert client.post(f"/o/acme/programs/{program.pk}/brief/ask/", {"body": ""}).status_code == 400
    client.post(f"/o/acme/programs/{program.pk}/brief/ask/", {"body": "Does it work with SAP?"})
    assert RepQuestion.objects.get().asked_by == world.rep
    assert "Nothing left to do" not in client.get("/o/acme/").content.decode()  # training remains


def test_rep_target_share(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    services.add_target(
        program=program,
        acting_user=world.marketer,
        team=world.team,
        metric="meetings",
        value=Decimal(10),
        period="program",
    )
    shares = selectors.rep_target_share(program, world.membership(world.rep))
    assert shares[0]["reps"] == 1 and shares[0]["share"] == Decimal(10)


def test_brief_is_invisible_outside_the_audience_and_before_preview(world: World) -> None:
    draft = make_program(world)
    assert world.client(world.rep).get(f"/o/acme/programs/{draft.pk}/brief/").status_code == 404
    live = make_program(world, status=ProgramStatus.LIVE, audience=[world.partner_team])
    assert world.client(world.rep).get(f"/o/acme/programs/{live.pk}/brief/").status_code == 404
    assert world.client(world.partner).get(f"/o/acme/programs/{live.pk}/brief/").status_code == 200


def test_reps_cannot_open_the_program_page(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    assert world.client(world.rep).get(f"/o/acme/programs/{program.pk}/").status_code == 403


def test_closed_programs_cannot_be_changed(world: World) -> None:
    program = make_program(world, status=ProgramStatus.CLOSED)
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/wiifm/",
        {"wiifm": "x", "incentive_kind": "none"},
        follow=True,
    )
    assert "closed program cannot be changed" in response.content.decode()


def test_markdown_is_sanitised(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    Program.objects.filter(pk=program.pk).update(
        summary="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    body = world.client(world.rep).get(f"/o/acme/programs/{program.pk}/brief/").content.decode()
    main = body.split("<main")[1]
    assert "<script>alert" not in main and 'href="javascript:' not in main and "<img" not in main


def test_edit_program_changes_and_audits(world: World) -> None:
    program = make_program(world)
    client = world.client(world.marketer)
    assert "Atlas launch" in client.get(f"/o/acme/programs/{program.pk}/edit/").content.decode()
    response = client.post(
        f"/o/acme/programs/{program.pk}/edit/",
        {
            "name": "Atlas 2",
            "kind": "campaign",
            "audience": [world.team.pk],
            "campaign_codes": "ATLAS-2",
        },
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.name, program.kind, program.campaign_codes) == (
        "Atlas 2",
        "campaign",
        ["ATLAS-2"],
    )
    assert list(program.audience.all()) == [world.team]
    changes = AuditLog.objects.get(action="program.updated").changes
    assert changes["name"] == ["Atlas launch", "Atlas 2"] and changes["audience"] == [
        ["EMEA"],
        ["London Enterprise"],
    ]
    bad = client.post(f"/o/acme/programs/{program.pk}/edit/", {"name": "", "kind": "campaign"})
    assert bad.status_code == 400


def test_viewer_reads_the_program_page_without_edit_controls(world: World) -> None:
    program = make_program(world, status=ProgramStatus.LIVE)
    body = world.client(world.viewer).get(f"/o/acme/programs/{program.pk}/").content.decode()
    assert "Readiness" in body and "Add a sell-in activity" not in body and "Go live" not in body
    response = world.client(world.viewer).post(
        f"/o/acme/programs/{program.pk}/wiifm/", {"wiifm": "x", "incentive_kind": "none"}
    )
    assert response.status_code == 403


def test_archive_and_restore(world: World) -> None:
    program = make_program(world)
    client = world.client(world.marketer)
    client.post(f"/o/acme/programs/{program.pk}/archive/")
    program.refresh_from_db()
    assert program.archived_at is not None
    client.post(f"/o/acme/programs/{program.pk}/archive/")
    program.refresh_from_db()
    assert program.archived_at is None


def test_remove_a_section_item(world: World) -> None:
    program = make_program(world)
    activity = services.add_activity(
        program=program,
        acting_user=world.marketer,
        data=ActivityInput(
            teams=tuple([world.region]), kind="roadshow", date=TODAY, owner=None, notes=""
        ),
    )
    client = world.client(world.marketer)
    assert (
        client.post(f"/o/acme/programs/{program.pk}/nonsense/{activity.pk}/delete/").status_code
        == 404
    )
    assert (
        client.post(f"/o/acme/programs/{program.pk}/targets/{activity.pk}/delete/").status_code
        == 404
    )
    client.post(f"/o/acme/programs/{program.pk}/activities/{activity.pk}/delete/")
    assert not SellInActivity.objects.exists()
    assert AuditLog.objects.filter(action="program.activity_removed").exists()


def test_transition_to_a_bogus_status(world: World) -> None:
    program = make_program(world)
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/transition/", {"to": "exploded"}, follow=True
    )
    assert "not a program status" in response.content.decode()
