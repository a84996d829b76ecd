"""Reading the organization: the team tree, who leads what, the reps of some teams.

Read-only helpers every floor above uses, so "the reps of my teams" is written once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from lockstep.core.permissions import SELLING_ROLES, Perm, Role, can
from lockstep.orgs.models import Membership, Organization, Team


@dataclass(frozen=True)
class TeamTree:
    """An organization's teams loaded once (one query): walk up and down without asking
    the database again. Pages load it once and pass it to the helpers that need it."""

    parents: dict[int, int | None]
    names: dict[int, str]
    channels: dict[int, str]
    children: dict[int | None, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, org: Organization) -> TeamTree:
        parents: dict[int, int | None] = {}
        names: dict[int, str] = {}
        channels: dict[int, str] = {}
        children: dict[int | None, list[int]] = defaultdict(list)
        rows = (
            Team.objects.for_org(org)
            .order_by("name")
            .values_list("id", "parent_id", "name", "channel")
        )
        for team_id, parent_id, name, channel in rows:
            parents[team_id], names[team_id], channels[team_id] = parent_id, name, channel
            children[parent_id].append(team_id)
        return cls(parents, names, channels, dict(children))

    def descendants(self, team_ids: Iterable[int]) -> set[int]:
        """The given teams and every team below them."""
        seen: set[int] = set()
        stack = [t for t in team_ids if t in self.parents]
        while stack:
            team_id = stack.pop()
            if team_id not in seen:
                seen.add(team_id)
                stack.extend(self.children.get(team_id, []))
        return seen

    def ancestors(self, team_ids: Iterable[int | None]) -> set[int]:
        """Every team above the given ones, not the teams themselves."""
        found: set[int] = set()
        for team_id in team_ids:
            parent = self.parents.get(team_id) if team_id else None
            while parent is not None and parent not in found:
                found.add(parent)
                parent = self.parents.get(parent)
        return found

    def is_leaf(self, team_id: int) -> bool:
        return not self.children.get(team_id)

    def depth_first(self, roots: Iterable[int]) -> list[tuple[int, int]]:
        """(team id, depth) in tree order, children by name."""
        out: list[tuple[int, int]] = []

        def walk(team_id: int, depth: int) -> None:
            out.append((team_id, depth))
            for child in self.children.get(team_id, []):
                walk(child, depth + 1)

        for root in roots:
            walk(root, 0)
        return out


def team_children_map(org: Organization) -> dict[int | None, list[int]]:
    return TeamTree.load(org).children


def with_descendants(
    org: Organization, team_ids: Iterable[int], tree: TeamTree | None = None
) -> set[int]:
    """The given teams and every team below them (one query, or none with a loaded tree)."""
    return (tree or TeamTree.load(org)).descendants(team_ids)


def ancestor_ids(
    org: Organization, team_ids: Iterable[int | None], tree: TeamTree | None = None
) -> set[int]:
    """Every team above the given ones (their region, its parent…), not the teams themselves."""
    return (tree or TeamTree.load(org)).ancestors(team_ids)


def leader_team_ids(membership: Membership, tree: TeamTree | None = None) -> set[int]:
    """The teams a sales leader leads, with their sub-teams (empty for other roles)."""
    if membership.role != Role.SALES_LEADER:
        return set()
    cached: set[int] | None = membership.__dict__.get("_leader_team_ids")
    if cached is None:  # asked several times per page: once per membership object
        led = list(membership.led_teams.values_list("id", flat=True))
        cached = with_descendants(membership.org, led, tree)
        membership.__dict__["_leader_team_ids"] = cached
    return set(cached)


def team_scope(membership: Membership) -> set[int] | None:
    """The teams whose people and numbers a member may see: None for the whole organization
    (owners, marketers, viewers), the led teams and their sub-teams for a sales leader, the
    rep's own team for a rep."""
    if can(membership, Perm.SEE_ALL_TEAMS):
        return None
    if membership.role == Role.SALES_LEADER:
        return leader_team_ids(membership)
    return {membership.team_id} if membership.team_id else set()


def reps_in_teams(org: Organization, team_ids: Iterable[int]) -> QuerySet[Membership]:
    """The reps and partner reps who sell in these teams."""
    return Membership.objects.for_org(org).filter(
        role__in=list(SELLING_ROLES), team_id__in=list(team_ids)
    )


def my_reps(membership: Membership) -> QuerySet[Membership]:
    """The reps of the teams a sales leader leads (sub-teams included)."""
    return reps_in_teams(membership.org, leader_team_ids(membership))


def owner_count(org: Organization) -> int:
    return Membership.objects.for_org(org).filter(role=Role.OWNER).count()


def team_rows(org: Organization, only: set[int] | None = None) -> list[dict[str, Any]]:
    """Teams as a flat, depth-annotated list in tree order, with headcounts (reps of the
    team itself, and in total with its sub-teams)."""
    teams = list(Team.objects.for_org(org).prefetch_related("leaders__user").order_by("name"))
    headcount: dict[int, int] = dict(
        reps_in_teams(org, [t.pk for t in teams])
        .values_list("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    by_parent: dict[int | None, list[Team]] = defaultdict(list)
    for team in teams:
        by_parent[team.parent_id].append(team)
    rows: list[dict[str, Any]] = []

    def walk(parent_id: int | None, depth: int) -> int:
        total = 0
        for team in by_parent.get(parent_id, []):
            own = headcount.get(team.pk, 0)
            row: dict[str, Any] = {"team": team, "depth": depth, "reps": own}
            rows.append(row)
            row["total"] = own + walk(team.pk, depth + 1)
            total += row["total"]
        return total

    walk(None, 0)
    if only is not None:
        rows = [row for row in rows if row["team"].pk in only]
    return rows


def visible_members(membership: Membership) -> QuerySet[Membership]:
    """The organization's people a member may see: everyone, or for a sales leader the
    people of the teams they lead (their reps and the teams' other leaders)."""
    from django.db.models import Q

    members = Membership.objects.for_org(membership.org)
    scope = team_scope(membership)
    if scope is not None:
        leading = Membership.objects.filter(led_teams__in=scope).values("pk")
        members = members.filter(Q(team_id__in=scope) | Q(pk__in=leading))
    return members
