"""CSV import specs for teams and users (see lockstep.core.imports for the service)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from lockstep.accounts.models import User
from lockstep.core.imports import ImportKind, OrgSpec, RowError, register_kind
from lockstep.core.permissions import Role
from lockstep.orgs import services
from lockstep.orgs.models import Channel, Membership, Organization, Team


def _choice(value: str, choices: type[Channel] | type[Role]) -> str | None:
    """Accept the stored value or the label, any case ("inside_sales", "Inside sales")."""
    wanted = value.strip().lower().replace(" ", "_").replace("-", "_")
    for choice in choices:
        if wanted in (choice.value, choice.label.lower().replace(" ", "_")):
            return str(choice.value)
    return None


@dataclass(frozen=True)
class TeamRow:
    name: str
    parent: str  # a team name, "" for a top-level team
    channel: str


class TeamsSpec(OrgSpec[TeamRow]):
    kind: str = "teams"
    required_columns: tuple[str, ...] = ("name", "parent", "channel")
    optional_columns: tuple[str, ...] = ()

    def validate_row(
        self, row_number: int, row: dict[str, str]
    ) -> tuple[TeamRow | None, list[RowError]]:
        errors = []
        name, parent = row["name"], row["parent"]
        if not name:
            errors.append(RowError(row_number, "name", "a team needs a name"))
        elif len(name) > 120:
            errors.append(RowError(row_number, "name", "longer than 120 characters"))
        if name and parent.lower() == name.lower():
            errors.append(RowError(row_number, "parent", "a team cannot be its own parent"))
        channel = _choice(row["channel"] or "direct", Channel)
        if channel is None:
            allowed = ", ".join(Channel.values)
            errors.append(
                RowError(row_number, "channel", f"“{row['channel']}” is not one of {allowed}")
            )
        if errors or channel is None:
            return None, errors
        return TeamRow(name=name, parent=parent, channel=channel), []

    def validate_all(self, items: list[tuple[int, TeamRow]]) -> list[RowError]:
        errors: list[RowError] = []
        existing = {
            t.name.lower(): t for t in Team.objects.for_org(self.org).select_related("parent")
        }
        parents = {k: (t.parent.name.lower() if t.parent else "") for k, t in existing.items()}
        seen: dict[str, int] = {}
        for number, item in items:
            key = item.name.lower()
            if key in seen:
                errors.append(
                    RowError(number, "name", f"“{item.name}” is already on row {seen[key]}")
                )
                continue
            seen[key] = number
            parents[key] = item.parent.lower()
        for number, item in items:
            parent = item.parent.lower()
            if parent and parent not in seen and parent not in existing:
                errors.append(
                    RowError(
                        number,
                        "parent",
                        f"no team “{item.parent}” in this file or the organization",
                    )
                )
        for number, item in items:
            node, path = item.name.lower(), set()
            while node and node not in path:
                path.add(node)
                node = parents.get(node, "")
            if node:
                errors.append(RowError(number, "parent", "this parent would make a cycle of teams"))
        return errors

    def apply(self, items: list[tuple[int, TeamRow]], acting_user: User | None) -> Iterator[str]:
        teams = {t.name.lower(): t for t in Team.objects.for_org(self.org)}
        pending = [item for _, item in items]
        while pending:  # parents before children; validate_all ruled out cycles
            later = []
            for item in pending:
                parent_key = item.parent.lower()
                in_file = any(p.name.lower() == parent_key for p in pending if p is not item)
                if parent_key and in_file:
                    later.append(item)
                    continue
                parent = teams[parent_key] if parent_key else None
                team = teams.get(item.name.lower())
                if team is None:
                    team = services.create_team(
                        org=self.org,
                        acting_user=acting_user,
                        name=item.name,
                        parent=parent,
                        channel=item.channel,
                    )
                    teams[item.name.lower()] = team
                    yield "created"
                else:
                    yield services.update_team(
                        team=team,
                        acting_user=acting_user,
                        name=item.name,
                        parent=parent,
                        channel=item.channel,
                    )
            pending = later


@dataclass(frozen=True)
class UserRow:
    email: str
    first_name: str
    last_name: str
    role: str
    team: Team | None


TEAM_ROLES = (Role.REP, Role.PARTNER_REP, Role.SALES_LEADER)


class UsersSpec(OrgSpec[UserRow]):
    kind: str = "users"
    required_columns: tuple[str, ...] = ("email", "first_name", "last_name", "role", "team")
    optional_columns: tuple[str, ...] = ()

    def validate_row(
        self, row_number: int, row: dict[str, str]
    ) -> tuple[UserRow | None, list[RowError]]:
        errors = []
        email = row["email"].lower()
        try:
            validate_email(email)
        except ValidationError:
            errors.append(
                RowError(row_number, "email", f"“{row['email']}” is not an e-mail address")
            )
        for column in ("first_name", "last_name"):
            if len(row[column]) > 150:
                errors.append(RowError(row_number, column, "longer than 150 characters"))
        role = _choice(row["role"], Role)
        if role is None:
            errors.append(
                RowError(
                    row_number, "role", f"“{row['role']}” is not one of {', '.join(Role.values)}"
                )
            )
        team = None
        if row["team"]:
            team = Team.objects.for_org(self.org).filter(name__iexact=row["team"]).first()
            if team is None:
                errors.append(
                    RowError(row_number, "team", f"no team “{row['team']}”: import teams first")
                )
        if role in TEAM_ROLES and not row["team"]:
            errors.append(
                RowError(row_number, "team", f"a {Role(role).label.lower()} needs a team")
            )
        if role is not None and role not in TEAM_ROLES and row["team"]:
            errors.append(
                RowError(
                    row_number, "team", f"leave it empty: a {Role(role).label.lower()} has no team"
                )
            )
        if team is not None and role == Role.PARTNER_REP and team.channel != "partner":
            errors.append(RowError(row_number, "team", "a partner rep belongs to a partner team"))
        if team is not None and role == Role.REP and team.channel == "partner":
            errors.append(
                RowError(row_number, "role", "reps in a partner team have the role partner_rep")
            )
        if errors or role is None:
            return None, errors
        return UserRow(email, row["first_name"], row["last_name"], role, team), []

    def validate_all(self, items: list[tuple[int, UserRow]]) -> list[RowError]:
        errors = []
        seen: dict[str, int] = {}
        for number, item in items:
            if item.email in seen:
                errors.append(RowError(number, "email", f"already on row {seen[item.email]}"))
            seen[item.email] = number
        owners = set(
            Membership.objects.for_org(self.org)
            .filter(role=Role.OWNER)
            .values_list("user__email", flat=True)
        )
        demoted = {item.email for _, item in items if item.role != Role.OWNER} & owners
        promoted = {item.email for _, item in items if item.role == Role.OWNER}
        if owners and not (owners - demoted) and not promoted:
            number = next(n for n, item in items if item.email in demoted)
            errors.append(
                RowError(number, "role", "this would leave the organization with no owner")
            )
        return errors

    def apply(self, items: list[tuple[int, UserRow]], acting_user: User | None) -> Iterator[str]:
        for _, item in items:
            yield services.upsert_member(
                org=self.org,
                acting_user=acting_user,
                email=item.email,
                first_name=item.first_name,
                last_name=item.last_name,
                role=item.role,
                team=item.team,
            )


def _teams(org: Organization, **_: object) -> TeamsSpec:
    return TeamsSpec(org)


def _users(org: Organization, **_: object) -> UsersSpec:
    return UsersSpec(org)


TEAMS = register_kind(
    ImportKind(
        name="teams", label="Teams", fields=TeamsSpec.required_columns,
        required=TeamsSpec.required_columns, make_spec=_teams,
    )
)  # fmt: skip
USERS = register_kind(
    ImportKind(
        name="users", label="People", fields=UsersSpec.required_columns,
        required=UsersSpec.required_columns, make_spec=_users,
    )
)  # fmt: skip
