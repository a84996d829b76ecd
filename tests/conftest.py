from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from lockstep.accounts.models import User
from lockstep.core.permissions import Role
from lockstep.orgs.models import Channel, Membership, Organization, Team
from tests.factories import MembershipFactory, OrganizationFactory, TeamFactory, UserFactory

pytest_plugins = ["tests.browser"]


@dataclass
class World:
    """An organization with one person per role, plus an outsider in another organization."""

    org: Organization
    other_org: Organization
    region: Team
    team: Team
    partner_team: Team
    owner: User
    marketer: User
    leader: User
    rep: User
    partner: User
    viewer: User
    outsider: User

    def client(self, user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    def membership(self, user: User) -> Membership:
        return Membership.objects.get(org=self.org, user=user)


@pytest.fixture
def world(db: None) -> World:
    org = OrganizationFactory(name="Acme", slug="acme")
    other = OrganizationFactory(name="Globex", slug="globex")
    region = TeamFactory(org=org, name="EMEA")
    team = TeamFactory(org=org, name="London Enterprise", parent=region)
    partner_team = TeamFactory(org=org, name="Brightline", parent=region, channel=Channel.PARTNER)
    people = {}
    for role, key in [
        (Role.OWNER, "owner"),
        (Role.MARKETER, "marketer"),
        (Role.SALES_LEADER, "leader"),
        (Role.REP, "rep"),
        (Role.PARTNER_REP, "partner"),
        (Role.VIEWER, "viewer"),
    ]:
        user = UserFactory(email=f"{key}@acme.example")
        team_for = {"rep": team, "partner": partner_team}.get(key)
        m = MembershipFactory(org=org, user=user, role=role, team=team_for)
        if key == "leader":
            m.led_teams.add(region)
        people[key] = user
    outsider = UserFactory(email="outsider@globex.example")
    MembershipFactory(org=other, user=outsider, role=Role.OWNER)
    return World(
        org=org,
        other_org=other,
        region=region,
        team=team,
        partner_team=partner_team,
        outsider=outsider,
        **people,
    )
