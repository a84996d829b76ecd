from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from lockstep.accounts.models import User
from lockstep.core.permissions import Role
from lockstep.orgs.models import Channel, Membership, Organization, Team
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    Stock,
    TeamFactory,
    UserFactory,
    stock_org,
)

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


@pytest.fixture
def stock(world: World) -> Stock:
    """The world's organization with one object of every kind a URL names, all visible to
    every role (a live program aimed at the region, its plan, the rep's attempt and lead…)."""
    return stock_org(world)


@pytest.fixture
def rival(world: World) -> World:
    """The outsider's organization (Globex) built like the world's: the outsider is its
    owner, and it has one person per role in teams of its own. Its `outsider` is Acme's
    owner."""
    org = world.other_org
    region = TeamFactory(org=org, name="Americas")
    team = TeamFactory(org=org, name="New York Enterprise", parent=region)
    partner_team = TeamFactory(org=org, name="Northwind", parent=region, channel=Channel.PARTNER)
    people = {}
    for role, key, team_for in [
        (Role.MARKETER, "marketer", None),
        (Role.SALES_LEADER, "leader", None),
        (Role.REP, "rep", team),
        (Role.PARTNER_REP, "partner", partner_team),
        (Role.VIEWER, "viewer", None),
    ]:
        user = UserFactory(email=f"{key}@globex.example")
        m = MembershipFactory(org=org, user=user, role=role, team=team_for)
        if key == "leader":
            m.led_teams.add(region)
        people[key] = user
    return World(
        org=org,
        other_org=world.org,
        region=region,
        team=team,
        partner_team=partner_team,
        owner=world.outsider,
        outsider=world.owner,
        **people,
    )


@pytest.fixture
def rival_stock(rival: World) -> Stock:
    return stock_org(rival)
