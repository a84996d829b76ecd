"""The one permission table: which roles may do what. Views, API handlers and templates
ask `can(membership, Perm.X)`; nothing else compares role names."""

from __future__ import annotations

from enum import StrEnum

from lockstep.orgs.models import Membership, Role


class Perm(StrEnum):
    VIEW_ORG = "view_org"  # see the organization's home page
    MANAGE_ORG = "manage_org"  # settings, members, teams, invitations
    VIEW_AUDIT = "view_audit"
    VIEW_TEAMS = "view_teams"  # read the team tree and headcounts
    VIEW_MEMBERS = "view_members"
    MANAGE_PROGRAMS = "manage_programs"
    VIEW_PROGRAMS = "view_programs"
    VIEW_INSIGHTS = "view_insights"
    LEAD_TEAMS = "lead_teams"  # endorse, acknowledge targets, reassign leads
    SELL = "sell"  # read briefs, train, answer pulses, work leads


O, M, L, R, P, V = (  # noqa: E741 — one letter per role keeps the table readable
    Role.OWNER,
    Role.MARKETER,
    Role.SALES_LEADER,
    Role.REP,
    Role.PARTNER_REP,
    Role.VIEWER,
)

PERMISSIONS: dict[Perm, frozenset[str]] = {
    Perm.VIEW_ORG: frozenset({O, M, L, R, P, V}),
    Perm.MANAGE_ORG: frozenset({O}),
    Perm.VIEW_AUDIT: frozenset({O}),
    Perm.VIEW_TEAMS: frozenset({O, M, L, V}),
    Perm.VIEW_MEMBERS: frozenset({O, M, L}),
    Perm.MANAGE_PROGRAMS: frozenset({O, M}),
    Perm.VIEW_PROGRAMS: frozenset({O, M, L, V}),
    Perm.VIEW_INSIGHTS: frozenset({O, M, L, V}),
    Perm.LEAD_TEAMS: frozenset({L}),
    Perm.SELL: frozenset({R, P}),
}


def can(membership: Membership | None, perm: Perm) -> bool:
    return membership is not None and membership.role in PERMISSIONS[perm]
