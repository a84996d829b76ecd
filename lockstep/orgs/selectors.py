"""Reading the organization: the team tree, who leads what, the reps of some teams.

Read-only helpers every floor above uses, so "the reps of my teams" is written once."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from lockstep.core.permissions import SELLING_ROLES, Perm, Role, can
from lockstep.orgs.models import Membership, Organization, Team

# Team trees read during the current web request, by organization id (None outside one).
_REQUEST_MEMO: ContextVar[dict[int, TeamTree] | None] = ContextVar("team_trees", default=None)


@contextmanager
def request_memo() -> Iterator[None]:
    """Around one request: TeamTree.load reads each organization's tree once."""
    token = _REQUEST_MEMO.set({})
    try:
        yield
    finally:
        _REQUEST_MEMO.reset(token)


def forget_team_tree() -> None:
    """After a write to teams within a request: the next load reads the tree again."""
    memo = _REQUEST_MEMO.get()
    if memo is not None:
        memo.clear()


@dataclass(frozen=True)
class TeamTree:
    """An organization's teams loaded once (one query): walk up and down without asking
    the database again. Pages load it once and pass it to the helpers that need it."""

    parents: dict[int, int | None]
    names: dict[int, str]
    channels: dict[int, str]
    children: dict[int | None, list[int]] = field(default_factory=dict)
    # each team's own clock settings: (time zone, day start, day end, business days)
    clocks: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    org_id: int = 0
    created: dict[int, dt.datetime] = field(default_factory=dict)
    _teams: dict[int, Team] = field(default_factory=dict, repr=False)
    _headcount: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def headcount(self) -> dict[int, int]:
        """The reps and partner reps who sell in each team itself (not its sub-teams): read
        with the tree in a web request (pages use it), else once when first asked."""
        if not self._headcount:
            self._headcount[0] = 0  # read (team ids start at 1): an empty org reads once
            self._headcount.update(
                Membership.objects.filter(
                    org_id=self.org_id, role__in=list(SELLING_ROLES), team_id__isnull=False
                )
                .order_by()
                .values_list("team_id")
                .annotate(n=Count("id"))
                .values_list("team_id", "n")
            )
        return self._headcount

    @classmethod
    def load(cls, org: Organization) -> TeamTree:
        """The organization's tree; within one web request it is read once (the request's
        memo, see `request_memo`), outside requests every call reads it."""
        memo = _REQUEST_MEMO.get()
        if memo is not None:
            tree = memo.get(org.pk)
            if tree is None:  # a page: its reps per team along, in the same query
                tree = memo[org.pk] = cls._read(org, with_headcount=True)
            return tree
        return cls._read(org)

    @classmethod
    def _read(cls, org: Organization, *, with_headcount: bool = False) -> TeamTree:
        parents: dict[int, int | None] = {}
        names: dict[int, str] = {}
        channels: dict[int, str] = {}
        children: dict[int | None, list[int]] = defaultdict(list)
        clocks: dict[int, tuple[Any, ...]] = {}
        sellers: Any = Value(-1)  # not read
        if with_headcount:
            sellers = Coalesce(
                Subquery(
                    Membership.objects.filter(team_id=OuterRef("pk"), role__in=list(SELLING_ROLES))
                    .order_by()
                    .values("team_id")
                    .annotate(n=Count("id"))
                    .values("n")
                ),
                0,
            )
        rows = Team.objects.for_org(org).order_by("name").annotate(sellers=sellers).values_list(
            "id", "parent_id", "name", "channel", "created_at", "sellers",
            "time_zone", "business_day_start", "business_day_end", "business_days",
        )  # fmt: skip
        created: dict[int, dt.datetime] = {}
        headcount: dict[int, int] = {}
        for team_id, parent_id, name, channel, created_at, sellers_n, *clock in rows:
            parents[team_id], names[team_id], channels[team_id] = parent_id, name, channel
            children[parent_id].append(team_id)
            clocks[team_id] = tuple(clock)
            created[team_id] = created_at
            if sellers_n >= 0:
                headcount[team_id] = sellers_n
        if with_headcount:
            headcount[0] = 0  # read (see `headcount`)
        return cls(
            parents, names, channels, dict(children), clocks, org.pk, created,
            _headcount=headcount,
        )  # fmt: skip

    def team(self, team_id: int) -> Team:
        """The team as a model instance built from the tree (no query; every column is in
        the tree). Used where a page shows a relation's teams it has the ids of."""
        team = self._teams.get(team_id)
        if team is None:
            clock = self.clocks[team_id]
            team = Team(
                id=team_id, org_id=self.org_id, name=self.names[team_id],
                parent_id=self.parents[team_id], channel=self.channels[team_id],
                time_zone=clock[0], business_day_start=clock[1], business_day_end=clock[2],
                business_days=clock[3], created_at=self.created[team_id],
            )  # fmt: skip
            team._state.adding, team._state.db = False, Team.objects.db
            self._teams[team_id] = team
        return team

    def sellers_under(self, team_id: int) -> int:
        """The reps and partner reps of a team and of every team below it."""
        return sum(self.headcount.get(t, 0) for t in self.descendants([team_id]))

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

    def ordered(self, only: set[int]) -> list[tuple[int, int]]:
        """(team id, depth) of the teams in `only`, in tree order — each team followed by
        its sub-teams, siblings by name — the depth counted in shown ancestors only: what
        every team picker shows, indented by depth."""
        return _tree_ordered(self, only)


def _tree_ordered(tree: TeamTree, only: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    depth_of: dict[int, int] = {}
    for team_id, _ in tree.depth_first(tree.children.get(None, [])):
        if team_id not in only:
            continue
        parent = tree.parents.get(team_id)
        while parent is not None and parent not in only:
            parent = tree.parents.get(parent)
        depth_of[team_id] = 0 if parent is None else depth_of[parent] + 1
        out.append((team_id, depth_of[team_id]))
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


def viewer_key(membership: Membership) -> tuple[str | int, ...]:
    """Who figures are computed for (`core.snapshots.figures`): members who see the whole
    organization share them by role; anyone else has their own."""
    if can(membership, Perm.SEE_ALL_TEAMS):
        return ("org", membership.role)
    return ("member", membership.pk)


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


def team_headcounts(org: Organization, team_ids: Iterable[int]) -> dict[int, int]:
    """Reps and partner reps selling in each of the teams (0 for a team with nobody), one
    query."""
    ids = list(team_ids)
    counts: dict[int, int] = dict.fromkeys(ids, 0)
    rows = (
        reps_in_teams(org, ids)
        .values_list("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    for team_id, n in rows:
        counts[team_id] = n
    return counts


def nearest_leaders(
    org: Organization,
    team_ids: Iterable[int],
    tree: TeamTree | None = None,
    by_team: dict[int, Membership] | None = None,
) -> dict[int, Membership]:
    """For each team, the sales leader closest above it: one who leads the team itself,
    else its region, and so on up the tree (several at the same level: the first by name).
    Teams with no leader anywhere above them are left out. `by_team` (the first leader of
    each team, by name) saves the query when the caller has read it."""
    tree = tree or TeamTree.load(org)
    if by_team is None:
        by_team = first_leader_by_team(org)
    found: dict[int, Membership] = {}
    for team_id in team_ids:
        current: int | None = team_id
        seen: set[int] = set()
        while current is not None and current not in seen:
            seen.add(current)
            if current in by_team:
                found[team_id] = by_team[current]
                break
            current = tree.parents.get(current)
    return found


def first_leader_by_team(org: Organization) -> dict[int, Membership]:
    """Each led team's first sales leader by name (one query)."""
    led = (
        Membership.led_teams.through.objects.filter(
            membership__org=org, membership__role=Role.SALES_LEADER
        )
        .select_related("membership__user")
        .order_by(
            "membership__user__first_name", "membership__user__last_name", "membership__user__email"
        )
    )  # one query: who leads which team
    by_team: dict[int, Membership] = {}
    for row in led:
        by_team.setdefault(row.team_id, row.membership)
    return by_team


def tree_ordered(
    org: Organization, only: Iterable[int] | None = None, tree: TeamTree | None = None
) -> list[tuple[Team, int]]:
    """The organization's teams (or those in `only`) in tree order with their depth: see
    `TeamTree.ordered`."""
    tree = tree or TeamTree.load(org)
    wanted = set(tree.parents) if only is None else set(only)
    teams = {t.pk: t for t in Team.objects.for_org(org).filter(pk__in=wanted)}
    return [(teams[t], depth) for t, depth in tree.ordered(set(teams))]


def member_search(query: str) -> Q:
    """Members matching a search box: every word of the query (case-insensitive) is found
    in the first name, last name, e-mail or team name, so "Nina Adeyemi", "adeyemi nina"
    and "nina london" all find Nina Adeyemi of London. Plain `icontains` lookups: the same
    on SQLite and PostgreSQL."""
    condition = Q()
    for word in query.split()[:8]:
        condition &= (
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__email__icontains=word)
            | Q(team__name__icontains=word)
        )
    return condition


# --- time zones and business hours per team ------------------------------------------------


@dataclass(frozen=True)
class TeamHours:
    """The clock a team works by: its time zone and business hours, each inherited from
    the nearest ancestor that sets it, else the organization's. Holidays are the
    organization's for every team."""

    time_zone: str
    opens: dt.time
    closes: dt.time
    days: frozenset[int]  # weekday numbers, Monday = 0

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


def org_hours(org: Organization) -> TeamHours:
    return TeamHours(
        org.time_zone,
        org.business_day_start,
        org.business_day_end,
        frozenset(org.business_days or []),
    )


def hours_by_team(org: Organization) -> dict[int, TeamHours]:
    """Every team's clock (one query): a team's own values, else its parent's, else the
    organization's. Teams that inherit everything share the organization's `TeamHours`."""
    base = org_hours(org)
    tree = TeamTree.load(org)  # read once per request
    rows = {
        team_id: (team_id, tree.parents[team_id], *clock) for team_id, clock in tree.clocks.items()
    }
    resolved: dict[int, TeamHours] = {}

    def resolve(team_id: int, seen: frozenset[int] = frozenset()) -> TeamHours:
        if team_id in resolved:
            return resolved[team_id]
        _, parent_id, zone, opens, closes, days = rows[team_id]
        above = base
        if parent_id in rows and parent_id not in seen:
            above = resolve(parent_id, seen | {team_id})
        hours = TeamHours(
            zone or above.time_zone,
            opens if opens is not None and closes is not None else above.opens,
            closes if opens is not None and closes is not None else above.closes,
            frozenset(days) if days is not None else above.days,
        )
        resolved[team_id] = base if hours == base else hours
        return resolved[team_id]

    for team_id in rows:
        resolve(team_id)
    return resolved


def team_hours(team: Team | None, org: Organization | None = None) -> TeamHours:
    """One team's clock (see `hours_by_team`); the organization's for no team."""
    if team is None:
        if org is None:
            raise ValueError("team_hours needs a team or an organization")
        return org_hours(org)
    owner = org if org is not None and org.pk == team.org_id else team.org
    return hours_by_team(owner).get(team.pk) or org_hours(owner)


def team_tzinfo(team: Team | None, org: Organization | None = None) -> zoneinfo.ZoneInfo:
    """The time zone a team works in — its own, else its nearest ancestor's, else the
    organization's: what a calendar invite or an e-mail to the team's people shows."""
    return team_hours(team, org).tzinfo


def member_tzinfo(membership: Membership) -> zoneinfo.ZoneInfo:
    """A member's time zone: their team's (a rep), else the organization's."""
    return (
        team_tzinfo(membership.team, membership.org)
        if membership.team_id
        else (membership.org.tzinfo)
    )
