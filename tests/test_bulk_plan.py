"""Big organizations: the same target for every audience team and champions for every team
in one submit, through the page and the API; all or nothing, audited, editable afterwards."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lockstep.accounts.services import create_token
from lockstep.core.errors import DomainError
from lockstep.core.models import AuditLog
from lockstep.core.permissions import Role
from lockstep.orgs.models import Membership, Team
from lockstep.programs import services
from lockstep.programs.models import Champion, ProgramStatus, Target
from tests.conftest import World
from tests.factories import MembershipFactory, TeamFactory
from tests.scenarios import make_program, people


def test_split_by_headcount_adds_up_and_rounds_fairly() -> None:
    shares = services.split_by_headcount(Decimal(10), {1: 1, 2: 1, 3: 1}, whole=True)
    assert sorted(shares.values()) == [3, 3, 4] and sum(shares.values()) == 10
    money = services.split_by_headcount(Decimal("100"), {1: 2, 2: 1}, whole=False)
    assert money == {1: Decimal("66.67"), 2: Decimal("33.33")}


def big_audience(world: World, n: int = 30) -> tuple[list[Team], list[Membership]]:
    """A region of `n` teams, team i with i % 3 + 1 reps (the demo's biggest program)."""
    region = TeamFactory(org=world.org, name="APAC")
    teams: list[Team] = [
        TeamFactory(org=world.org, parent=region, name=f"APAC {i:02d}") for i in range(n)
    ]
    reps = []
    for i, team in enumerate(teams):
        for user in people(world, team, i % 3 + 1):
            reps.append(world.membership(user))
    return teams, reps


def test_same_target_for_thirty_teams_split_by_headcount_in_one_submit(world: World) -> None:
    teams, _ = big_audience(world)
    program = make_program(world, audience=[Team.objects.get(name="APAC")])
    client = world.client(world.marketer)
    page = client.get(f"/o/acme/programs/{program.pk}/").content.decode()
    assert "Same target for every audience team (30)" in page
    response = client.post(
        f"/o/acme/programs/{program.pk}/targets/audience/",
        {"all-metric": "meetings", "all-period": "quarter", "all-split": "headcount",
         "all-value": "120"},
    )  # fmt: skip
    assert response.status_code == 302
    targets = {t.team_id: t for t in Target.objects.filter(program=program)}
    assert len(targets) == 30 and sum(t.value for t in targets.values()) == 120
    # 60 reps: 2 meetings per rep, so a team of three gets 6 and a team of one 2
    assert targets[teams[2].pk].value == 6 and targets[teams[0].pk].value == 2
    assert {t.period for t in targets.values()} == {"quarter"}
    assert AuditLog.objects.filter(action="program.target_added").count() == 30
    # editable afterwards, per team
    client.post(
        f"/o/acme/programs/{program.pk}/targets/",
        {"team": teams[0].pk, "metric": "meetings", "value": "5", "period": "quarter"},
    )
    assert Target.objects.get(program=program, team=teams[0]).value == 5


def test_same_value_per_team_replaces_and_resets_acknowledgement(world: World) -> None:
    program = make_program(world)
    old = services.add_target(
        program=program, acting_user=world.marketer, team=world.team, metric="pipeline",
        value=Decimal(1), period="program",
    )  # fmt: skip
    Target.objects.filter(pk=old.pk).update(status="acknowledged")
    services.set_audience_targets(
        program=program, acting_user=world.marketer, metric="pipeline",
        value=Decimal("2500.50"), period="month", split="equal",
    )  # fmt: skip
    rows = Target.objects.filter(program=program)
    assert {(t.team_id, t.value, t.status) for t in rows} == {
        (world.team.pk, Decimal("2500.50"), "pending"),
        (world.partner_team.pk, Decimal("2500.50"), "pending"),
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"all-value": "0"}, "greater than or equal to 0.01"),
        ({"all-value": "2.5", "all-metric": "meetings"}, "whole number"),
        ({"all-split": "bogus"}, "Select a valid choice"),
        ({"all-value": "1"}, "leaves"),  # 1 meeting over two teams
    ],
)
def test_bad_input_writes_no_target(world: World, data: dict[str, str], message: str) -> None:
    program = make_program(world)
    post = {"all-metric": "meetings", "all-period": "quarter", "all-split": "headcount",
            "all-value": "10", **data}  # fmt: skip
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/targets/audience/", post, follow=True
    )
    assert message in response.content.decode()
    assert not Target.objects.filter(program=program).exists()


def test_headcount_split_refuses_teams_without_reps(world: World) -> None:
    Membership.objects.filter(org=world.org, user=world.partner).delete()
    program = make_program(world)
    with pytest.raises(DomainError, match="Brightline has no reps"):
        services.set_audience_targets(
            program=program, acting_user=world.marketer, metric="meetings",
            value=Decimal(10), period="quarter", split="headcount",
        )  # fmt: skip
    assert not Target.objects.exists()


@pytest.mark.parametrize("who", ["leader", "rep", "viewer"])
def test_only_marketing_sets_targets_for_the_audience(world: World, who: str) -> None:
    program = make_program(world)
    post = {"all-metric": "meetings", "all-period": "quarter", "all-split": "equal",
            "all-value": "3"}  # fmt: skip
    client = world.client(getattr(world, who))
    response = client.post(f"/o/acme/programs/{program.pk}/targets/audience/", post)
    assert response.status_code in (403, 404)
    assert not Target.objects.exists()


def test_other_organization_gets_404(world: World) -> None:
    program = make_program(world)
    post = {"all-metric": "meetings", "all-period": "quarter", "all-split": "equal",
            "all-value": "3"}  # fmt: skip
    client = world.client(world.outsider)
    assert client.post(f"/o/acme/programs/{program.pk}/targets/audience/", post).status_code == 404
    assert client.post(f"/o/acme/programs/{program.pk}/champions/audience/", {}).status_code == 404


def test_champions_for_thirty_teams_in_one_submit(world: World) -> None:
    teams, reps = big_audience(world)
    program = make_program(world, audience=[Team.objects.get(name="APAC")])
    first = {t.pk: next(m for m in reps if m.team_id == t.pk) for t in teams}
    post = {"champs-mode": "pick", **{f"champs-team_{t}": m.pk for t, m in first.items()}}
    client = world.client(world.marketer)
    response = client.post(f"/o/acme/programs/{program.pk}/champions/audience/", post)
    assert response.status_code == 302
    assert {(c.team_id, c.user_id) for c in Champion.objects.filter(program=program)} == {
        (t, m.user_id) for t, m in first.items()
    }
    # submitting again changes nothing, and the page shows the picks as chosen
    client.post(f"/o/acme/programs/{program.pk}/champions/audience/", post)
    assert Champion.objects.filter(program=program).count() == 30
    page = client.get(f"/o/acme/programs/{program.pk}/").content.decode()
    assert page.count("selected>") >= 30


def test_champion_picked_from_another_team_is_refused_and_nothing_written(world: World) -> None:
    program = make_program(world)
    rep = world.membership(world.rep)
    post = {"champs-mode": "pick", f"champs-team_{world.partner_team.pk}": rep.pk,
            f"champs-team_{world.team.pk}": rep.pk}  # fmt: skip
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/champions/audience/", post
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Champion.objects.exists()
    with pytest.raises(DomainError, match="neither a rep of Brightline"):
        services.add_champions(
            program=program, acting_user=world.marketer,
            picks=[(world.team, rep), (world.partner_team, rep)],
        )  # fmt: skip
    assert not Champion.objects.exists()


def test_the_leader_of_each_team(world: World) -> None:
    program = make_program(world)
    apac_leader = MembershipFactory(org=world.org, role=Role.SALES_LEADER, user__first_name="Aa")
    apac_leader.led_teams.add(world.partner_team)  # nearer than the region's leader
    response = world.client(world.marketer).post(
        f"/o/acme/programs/{program.pk}/champions/audience/", {"champs-mode": "leaders"}
    )
    assert response.status_code == 302
    assert {(c.team_id, c.user_id) for c in Champion.objects.all()} == {
        (world.team.pk, world.leader.pk),
        (world.partner_team.pk, apac_leader.user_id),
    }
    assert AuditLog.objects.filter(action="program.champion_added").count() == 2


def test_closed_program_refuses_bulk_changes(world: World) -> None:
    program = make_program(world, status=ProgramStatus.CLOSED)
    with pytest.raises(DomainError):
        services.set_audience_targets(
            program=program, acting_user=world.marketer, metric="meetings",
            value=Decimal(10), period="quarter", split="equal",
        )  # fmt: skip


# --- the API ----------------------------------------------------------------------------


def api(world: World, method: str, path: str, body: object) -> object:
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    client = world.client(None)
    return getattr(client, method)(
        f"/api/v1{path}", data=body, content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip


def test_api_sets_targets_for_the_audience(world: World) -> None:
    program = make_program(world)
    response = api(world, "post", f"/programs/{program.pk}/targets/audience",
                   {"metric": "meetings", "value": "9", "split": "equal"})  # fmt: skip
    assert response.status_code == 201, response.content  # type: ignore[attr-defined]
    assert len(response.json()["items"]) == 2  # type: ignore[attr-defined]
    bad = api(world, "post", f"/programs/{program.pk}/targets/audience",
              {"metric": "meetings", "value": "1", "split": "headcount"})  # fmt: skip
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert bad["Content-Type"] == "application/problem+json"  # type: ignore[index]
    assert "leaves" in bad.json()["detail"]  # type: ignore[attr-defined]


def test_api_names_champions_for_the_audience(world: World) -> None:
    program = make_program(world)
    rep = world.membership(world.rep)
    response = api(world, "post", f"/programs/{program.pk}/champions/audience",
                   {"picks": [{"team_id": world.team.pk, "member_id": rep.pk}]})  # fmt: skip
    assert response.status_code == 201, response.content  # type: ignore[attr-defined]
    assert response.json()["items"][0]["user"]["id"] == world.rep.pk  # type: ignore[attr-defined]
    leaders = api(world, "post", f"/programs/{program.pk}/champions/audience", {"leaders": True})
    assert leaders.status_code == 201  # type: ignore[attr-defined]
    bad = api(world, "post", f"/programs/{program.pk}/champions/audience",
              {"picks": [{"team_id": world.partner_team.pk, "member_id": rep.pk}]})  # fmt: skip
    assert bad.status_code == 400  # type: ignore[attr-defined]
