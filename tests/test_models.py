"""Model rules: append-only tables, constraints, services that write the audit log."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from lockstep.core.events import Action, Verb
from lockstep.core.models import ActivityEvent, AppendOnlyError, AuditLog
from lockstep.core.permissions import Role
from lockstep.core.services import diff, emit_event, record_audit
from lockstep.orgs import selectors, services
from lockstep.orgs.models import Membership, Team
from lockstep.programs.models import Program
from tests.conftest import World


def test_activity_events_are_append_only(world: World) -> None:
    program = Program.objects.create(org=world.org, name="Spring launch")
    event = emit_event(
        org=world.org, actor=world.rep, verb=Verb.BRIEF_OPENED, program_id=program.pk, obj=program
    )
    assert (event.object_type, event.object_id) == ("program", program.pk)
    event.verb = "brief.acknowledged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert ActivityEvent.objects.get().verb == "brief.opened"


def test_audit_log_is_append_only(world: World) -> None:
    entry = record_audit(
        org=world.org, acting_user=world.owner, action=Action.TEAM_UPDATED, obj=world.team
    )
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert entry.object_repr == "London Enterprise"


def test_team_names_are_unique_per_org_case_insensitively(world: World) -> None:
    Team.objects.create(org=world.other_org, name="London Enterprise")  # other org: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(org=world.org, name="LONDON ENTERPRISE")


def test_one_membership_per_person_per_org(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(org=world.org, user=world.rep, role=Role.VIEWER)


def test_threshold_constraint(world: World) -> None:
    world.org.readiness_threshold = 101
    with pytest.raises(IntegrityError), transaction.atomic():
        world.org.save()


def test_with_descendants_walks_any_depth(world: World) -> None:
    deep = Team.objects.create(org=world.org, name="Deep", parent=world.team)
    deeper = Team.objects.create(org=world.org, name="Deeper", parent=deep)
    ids = selectors.with_descendants(world.org, [world.region.pk])
    assert ids == {world.region.pk, world.team.pk, world.partner_team.pk, deep.pk, deeper.pk}
    leader = world.membership(world.leader)
    assert deeper.pk in selectors.leader_team_ids(leader)


def test_diff_only_lists_changes() -> None:
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}


def test_update_team_without_change_writes_no_audit(world: World) -> None:
    before = AuditLog.objects.count()
    outcome = services.update_team(
        team=world.team,
        acting_user=None,
        name=world.team.name,
        parent=world.region,
        channel="direct",
    )
    assert outcome == "unchanged" and AuditLog.objects.count() == before


def test_create_organization_reuses_an_existing_person(world: World) -> None:
    org, owner = services.create_organization(
        name="New", slug="new", owner_email="rep@acme.example"
    )
    assert owner == world.rep
    assert Membership.objects.get(org=org, user=world.rep).role == Role.OWNER
