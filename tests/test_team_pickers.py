"""Big organizations: finding people by full name, "Teams led" only for sales leaders, and
team pickers that are searchable and in tree order everywhere a team is picked."""

from __future__ import annotations

import re

import pytest
from django.forms import ModelChoiceField

from lockstep.core.permissions import Role
from lockstep.orgs.forms import MembershipForm
from lockstep.orgs.models import Membership
from lockstep.programs import forms as program_forms
from tests.conftest import World
from tests.factories import MembershipFactory, TeamFactory
from tests.scenarios import make_program


@pytest.mark.parametrize("query", ["Nina Adeyemi", "nina adeyemi", "ADEYEMI Nina", "nina ade"])
def test_members_search_by_full_name(world: World, query: str) -> None:
    MembershipFactory(
        org=world.org, team=world.team, role=Role.REP,
        user__first_name="Nina", user__last_name="Adeyemi", user__email="n.a@acme.example",
    )  # fmt: skip
    MembershipFactory(
        org=world.org, team=world.team, role=Role.REP,
        user__first_name="Nina", user__last_name="Brandt", user__email="nb@acme.example",
    )  # fmt: skip
    body = world.client(world.owner).get("/o/acme/members/", {"q": query}).content.decode()
    assert "n.a@acme.example" in body and "nb@acme.example" not in body


def test_members_search_by_email_and_nothing_found(world: World) -> None:
    client = world.client(world.owner)
    assert "rep@acme.example" in client.get("/o/acme/members/", {"q": "REP@acme"}).content.decode()
    body = client.get("/o/acme/members/", {"q": "Nobody Atall"}).content.decode()
    assert "rep@acme.example" not in body


def test_teams_led_belongs_to_sales_leaders_only(world: World) -> None:
    rep = world.membership(world.rep)
    client = world.client(world.owner)
    page = client.get(f"/o/acme/members/{rep.pk}/").content.decode()
    assert 'data-show-for-role="sales_leader"' in page
    # a rep posted with "Teams led" ticked (no script to hide them): ignored, not stored
    response = client.post(
        f"/o/acme/members/{rep.pk}/",
        {"role": "rep", "team": world.team.pk, "led_teams": [world.region.pk]},
    )
    assert response.status_code == 302
    assert not Membership.objects.get(pk=rep.pk).led_teams.exists()
    form = MembershipForm({"role": "sales_leader", "team": "", "led_teams": []}, membership=rep)
    assert not form.is_valid() and "leads at least one team" in str(form.errors)


def option_labels(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", label).replace("\u00a0", "·").strip()
        for label in re.findall(r"<option value=\"\d+\"[^>]*>(.*?)</option>", html)
    ]


def test_team_pickers_are_tree_ordered_and_indented(world: World) -> None:
    americas = TeamFactory(org=world.org, name="Americas")
    TeamFactory(org=world.org, name="Zurich", parent=world.region)
    TeamFactory(org=world.org, name="Boston", parent=americas)
    rep = world.membership(world.rep)
    page = world.client(world.owner).get(f"/o/acme/members/{rep.pk}/").content.decode()
    team_select = page[
        page.index('name="team"') : page.index("</select>", page.index('name="team"'))
    ]
    assert option_labels(team_select) == [
        "Americas", "···Boston", "EMEA", "···Brightline", "···London Enterprise", "···Zurich",
    ]  # fmt: skip
    assert 'data-filter="teams"' in team_select


def test_every_team_picker_is_searchable(world: World) -> None:
    program = make_program(world)
    org = world.org
    team_ids = {world.team.pk, world.partner_team.pk, world.region.pk}
    fields = [
        program_forms.ProgramForm(org=org)["audience"],
        program_forms.ActivityForm(org=org, team_ids=team_ids)["teams"],
        program_forms.TargetForm(org=org, team_ids=team_ids)["team"],
        program_forms.ProgramFilterForm(org=org)["team"],
        MembershipForm(membership=world.membership(world.leader))["led_teams"],
    ]
    for field in fields:
        assert 'data-filter="teams"' in str(field), field.name
    body = world.client(world.marketer).get(f"/o/acme/programs/{program.pk}/").content.decode()
    assert "pickers.js" in body and 'data-filter-list="teams"' in body


def test_a_picker_of_some_teams_keeps_the_tree(world: World) -> None:
    """Leaves of two regions: grouped by region, not alphabetically mixed."""
    americas = TeamFactory(org=world.org, name="Americas")
    boston = TeamFactory(org=world.org, name="Zz Boston", parent=americas)
    ids = {boston.pk, world.team.pk, world.partner_team.pk}
    form = program_forms.TargetForm(org=world.org, team_ids=ids)
    field = form.fields["team"]
    assert isinstance(field, ModelChoiceField)
    labels = [label for _, label in field.iterator(field)][1:]
    assert labels == ["Zz Boston", "Brightline", "London Enterprise"]  # Americas before EMEA
