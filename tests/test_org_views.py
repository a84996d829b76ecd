"""Organization pages: happy path, wrong role, bad input. (Other orgs: test_tenancy.py.)"""

from __future__ import annotations

import pytest
from django.core import mail

from lockstep.core.models import AuditLog
from lockstep.core.permissions import Role
from lockstep.orgs.models import Invitation, Membership, Organization, Team
from tests.conftest import World


@pytest.mark.parametrize(
    ("who", "template"),
    [
        ("owner", "insights/home.html"),
        ("marketer", "insights/home.html"),
        ("viewer", "insights/home.html"),
        ("leader", "insights/home_leader.html"),
        ("rep", "briefs/home.html"),
        ("partner", "briefs/home.html"),
    ],
)
def test_home_is_role_specific(world: World, who: str, template: str) -> None:
    response = world.client(getattr(world, who)).get("/o/acme/")
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]


def test_leader_home_lists_led_teams_with_sub_teams(world: World) -> None:
    body = world.client(world.leader).get("/o/acme/").content.decode()
    assert "London Enterprise" in body and "Brightline" in body and "EMEA" in body


def test_root_redirects_to_the_only_org(world: World) -> None:
    response = world.client(world.rep).get("/")
    assert response["Location"] == "/o/acme/"


def test_root_lets_a_person_in_two_orgs_pick(world: World) -> None:
    Membership.objects.create(org=world.other_org, user=world.rep, role=Role.VIEWER)
    body = world.client(world.rep).get("/").content.decode()
    assert "Acme" in body and "Globex" in body


def test_root_remembers_the_last_org(world: World) -> None:
    Membership.objects.create(org=world.other_org, user=world.rep, role=Role.VIEWER)
    client = world.client(world.rep)
    client.get("/o/globex/")
    assert client.get("/")["Location"] == "/o/globex/"


def test_header_switcher_lists_every_org_of_the_person(world: World) -> None:
    Membership.objects.create(org=world.other_org, user=world.rep, role=Role.VIEWER)
    body = world.client(world.rep).get("/o/acme/").content.decode()
    assert 'href="/o/globex/"' in body


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/o/acme/members/", {"owner", "marketer", "leader"}),
        ("/o/acme/members/invite/", {"owner"}),
        ("/o/acme/teams/", {"owner", "marketer", "leader", "viewer"}),
        ("/o/acme/teams/new/", {"owner"}),
        ("/o/acme/settings/", {"owner"}),
        ("/o/acme/audit/", {"owner"}),
    ],
)
def test_pages_by_role(world: World, url: str, allowed: set[str]) -> None:
    for who in ["owner", "marketer", "leader", "rep", "partner", "viewer"]:
        status = world.client(getattr(world, who)).get(url).status_code
        assert status == (200 if who in allowed else 403), f"{who} on {url}: {status}"


def test_nav_shows_only_allowed_pages(world: World) -> None:
    rep_body = world.client(world.rep).get("/o/acme/").content.decode()
    assert "/o/acme/settings/" not in rep_body and "/o/acme/teams/" not in rep_body
    owner_body = world.client(world.owner).get("/o/acme/").content.decode()
    assert "/o/acme/settings/" in owner_body and "/o/acme/audit/" in owner_body


def test_leader_sees_only_their_teams(world: World) -> None:
    other = Team.objects.create(org=world.org, name="APAC")
    client = world.client(world.leader)
    assert client.get(f"/o/acme/teams/{other.pk}/").status_code == 404
    assert client.get(f"/o/acme/teams/{world.team.pk}/").status_code == 200
    assert "APAC" not in client.get("/o/acme/teams/").content.decode()


def test_members_search_and_htmx_partial(world: World) -> None:
    client = world.client(world.owner)
    response = client.get("/o/acme/members/?q=partner@", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "partner@acme.example" in body and "rep@acme.example" not in body
    assert "<html" not in body  # only the table partial


def test_create_team(world: World) -> None:
    response = world.client(world.owner).post(
        "/o/acme/teams/new/",
        {"name": "Paris Mid-Market", "parent": world.region.pk, "channel": "direct"},
    )
    assert response.status_code == 302
    team = Team.objects.get(org=world.org, name="Paris Mid-Market")
    assert team.parent == world.region
    assert AuditLog.objects.filter(org=world.org, action="team.created", object_id=team.pk).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "channel": "direct"}, "This field is required"),
        ({"name": "london enterprise", "channel": "direct"}, "already a team called"),
        ({"name": "X", "channel": "carrier-pigeon"}, "Select a valid choice"),
        ({"name": "X" * 121, "channel": "direct"}, "at most 120 characters"),
    ],
)
def test_create_team_bad_input(world: World, data: dict[str, str], message: str) -> None:
    before = Team.objects.count()
    response = world.client(world.owner).post("/o/acme/teams/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Team.objects.count() == before


def test_team_parent_from_another_org_is_rejected(world: World) -> None:
    foreign = Team.objects.create(org=world.other_org, name="Foreign")
    response = world.client(world.owner).post(
        "/o/acme/teams/new/", {"name": "Y", "parent": foreign.pk, "channel": "direct"}
    )
    assert response.status_code == 400
    assert not Team.objects.filter(name="Y").exists()


def test_team_cannot_move_under_its_own_sub_team(world: World) -> None:
    response = world.client(world.owner).post(
        f"/o/acme/teams/{world.region.pk}/edit/",
        {"name": "EMEA", "parent": world.team.pk, "channel": "direct"},
    )
    assert response.status_code == 400
    world.region.refresh_from_db()
    assert world.region.parent is None


def test_edit_team_audits_before_and_after(world: World) -> None:
    world.client(world.owner).post(
        f"/o/acme/teams/{world.team.pk}/edit/",
        {"name": "London Strategic", "parent": world.region.pk, "channel": "direct"},
    )
    entry = AuditLog.objects.get(action="team.updated")
    assert entry.changes == {"name": ["London Enterprise", "London Strategic"]}


def test_delete_team_with_members_is_refused(world: World) -> None:
    client = world.client(world.owner)
    response = client.post(f"/o/acme/teams/{world.team.pk}/delete/", follow=True)
    assert "still has sub-teams or members" in response.content.decode()
    assert Team.objects.filter(pk=world.team.pk).exists()
    empty = Team.objects.create(org=world.org, name="Empty")
    client.post(f"/o/acme/teams/{empty.pk}/delete/")
    assert not Team.objects.filter(pk=empty.pk).exists()


def test_delete_needs_post(world: World) -> None:
    assert (
        world.client(world.owner).get(f"/o/acme/teams/{world.team.pk}/delete/").status_code == 405
    )


def test_invite_sends_a_single_use_link(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client(world.owner).post(
            "/o/acme/members/invite/",
            {"email": "New@Acme.example", "role": "rep", "team": world.team.pk},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new@acme.example")
    assert invitation.token_hash and len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@acme.example"]
    assert "/accounts/invitation/" in message.body
    assert getattr(message, "alternatives", None)  # an HTML part too
    assert invitation.token_hash not in message.body  # only the hash is stored


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "role": "rep"}, "valid email"),
        ({"email": "x@acme.example", "role": "rep"}, "A rep belongs to one team"),
        ({"email": "x@acme.example", "role": "pope"}, "Select a valid choice"),
        ({"email": "rep@acme.example", "role": "viewer"}, "already a member"),
        ({"email": "x@acme.example", "role": "sales_leader"}, "Pick the team"),
    ],
)
def test_invite_bad_input(world: World, data: dict[str, str], message: str) -> None:
    response = world.client(world.owner).post("/o/acme/members/invite/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_partner_rep_must_be_in_a_partner_team(world: World) -> None:
    response = world.client(world.owner).post(
        "/o/acme/members/invite/",
        {"email": "p@acme.example", "role": "partner_rep", "team": world.team.pk},
    )
    assert response.status_code == 400
    assert "partner team" in response.content.decode()


def test_revoke_invitation(world: World) -> None:
    client = world.client(world.owner)
    client.post("/o/acme/members/invite/", {"email": "v@acme.example", "role": "viewer"})
    invitation = Invitation.objects.get()
    client.post(f"/o/acme/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.status() == "revoked"


def test_change_member_role_and_team(world: World) -> None:
    m = world.membership(world.rep)
    response = world.client(world.owner).post(
        f"/o/acme/members/{m.pk}/", {"role": "sales_leader", "led_teams": [world.team.pk]}
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.role == Role.SALES_LEADER and m.team is None
    assert list(m.led_teams.all()) == [world.team]
    entry = AuditLog.objects.get(action="member.changed")
    assert entry.changes["role"] == ["rep", "sales_leader"]


def test_last_owner_cannot_be_demoted_or_removed(world: World) -> None:
    m = world.membership(world.owner)
    client = world.client(world.owner)
    response = client.post(f"/o/acme/members/{m.pk}/", {"role": "viewer"})
    assert response.status_code == 400 and "only owner" in response.content.decode()
    client.post(f"/o/acme/members/{m.pk}/remove/")
    assert Membership.objects.filter(pk=m.pk, role=Role.OWNER).exists()


def test_remove_member(world: World) -> None:
    m = world.membership(world.viewer)
    world.client(world.owner).post(f"/o/acme/members/{m.pk}/remove/")
    assert not Membership.objects.filter(pk=m.pk).exists()
    assert AuditLog.objects.filter(action="member.removed").exists()


def test_settings_save_and_audit(world: World) -> None:
    data = {
        "name": "Acme Corp",
        "time_zone": "Europe/Berlin",
        "business_day_start": "08:30",
        "business_day_end": "17:30",
        "business_days": ["0", "1", "2", "3", "4"],
        "readiness_threshold": "75",
        "max_training_minutes": "45",
        "required_asset_kinds": ["brief", "battlecard"],
        "date_order": "mdy",
        "escalate_rep_percent": "100",
        "escalate_leader_percent": "150",
        "holidays": "2026-12-25\n\n2026-12-24\n2026-12-25",
    }
    response = world.client(world.owner).post("/o/acme/settings/", data)
    assert response.status_code == 302
    org = Organization.objects.get(pk=world.org.pk)
    assert (org.name, org.time_zone, org.readiness_threshold) == ("Acme Corp", "Europe/Berlin", 75)
    assert org.required_asset_kinds == ["brief", "battlecard"]
    assert org.holidays == ["2026-12-24", "2026-12-25"] and org.date_order == "mdy"
    changes = AuditLog.objects.get(action="org.settings_changed").changes
    assert changes["readiness_threshold"] == [80, 75]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus", "not a known time zone"),
        ("readiness_threshold", "101", "Between 0 and 100"),
        ("max_training_minutes", "0", "Between 1 and 1440"),
        ("business_day_end", "08:00", "must end after it starts"),
        ("business_day_start", "25:99", "Enter a valid time"),
        ("holidays", "Christmas", "is not a date like"),
        ("escalate_leader_percent", "50", "not below the rep"),
    ],
)
def test_settings_bad_input(world: World, field: str, value: str, message: str) -> None:
    data = {
        "name": "Acme",
        "time_zone": "UTC",
        "business_day_start": "09:00",
        "business_day_end": "17:00",
        "business_days": ["0"],
        "readiness_threshold": "80",
        "max_training_minutes": "60",
        "date_order": "dmy",
        "escalate_rep_percent": "100",
        "escalate_leader_percent": "200",
    }
    good = world.client(world.owner).post("/o/acme/settings/", data)
    assert good.status_code == 302  # the base data is valid: only `field` makes it bad
    data[field] = value
    response = world.client(world.owner).post("/o/acme/settings/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Organization.objects.get(pk=world.org.pk).time_zone == "UTC"


def test_audit_log_lists_and_filters(world: World) -> None:
    client = world.client(world.owner)
    client.post("/o/acme/teams/new/", {"name": "Audit Me", "channel": "direct"})
    body = client.get("/o/acme/audit/?action=team.").content.decode()
    assert "team.created" in body and "Audit Me" in body


def test_bad_page_numbers_do_not_crash(world: World) -> None:
    client = world.client(world.owner)
    for url in ["/o/acme/members/?page=abc", "/o/acme/audit/?page=-5", "/o/acme/members/?page=999"]:
        assert client.get(url).status_code == 200


def test_security_headers(world: World) -> None:
    response = world.client(world.owner).get("/o/acme/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
