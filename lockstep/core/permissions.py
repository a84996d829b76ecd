"""The one permission table: which roles may do what.

Every org view declares one permission (`@org_view(Perm.X)`), templates ask
`{% if can.X %}`, the API asks `require(membership, Perm.X)`; nothing else compares role
names. docs/permissions.md is generated from this table (`lockstep permissions`) and the
role-matrix test is generated from it too."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from lockstep.orgs.models import Membership


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MARKETER = "marketer", "Marketer"
    SALES_LEADER = "sales_leader", "Sales leader"
    REP = "rep", "Rep"
    PARTNER_REP = "partner_rep", "Partner rep"
    VIEWER = "viewer", "Viewer"


SELLING_ROLES = frozenset({Role.REP, Role.PARTNER_REP})


class Perm(StrEnum):
    VIEW_ORG = "view_org"  # the organization's home page, notifications
    MANAGE_ORG = "manage_org"  # settings, members, teams, invitations, rejection reasons
    VIEW_AUDIT = "view_audit"
    VIEW_TEAMS = "view_teams"  # read the team tree and headcounts
    VIEW_MEMBERS = "view_members"
    MANAGE_PROGRAMS = "manage_programs"  # write the sell-in plan, launch, answer questions
    VIEW_PROGRAMS = "view_programs"  # the program list and program pages
    VIEW_CALENDAR = "view_calendar"  # the launch calendar and load, for the teams one sees
    VIEW_INSIGHTS = "view_insights"  # funnel, results, pulse results
    LEAD_TEAMS = "lead_teams"  # endorse, acknowledge targets, reassign leads
    SELL = "sell"  # acknowledge briefs, train, take checks, answer pulses, ask questions
    READ_BRIEFS = "read_briefs"  # open a program's rep brief (reps; others preview it)
    VIEW_KIT = "view_kit"  # open the rep kit's assets
    VIEW_INTERNAL_KIT = "view_internal_kit"  # assets not marked partner-visible
    GIVE_FEEDBACK = "give_feedback"  # preview feedback from the audience
    RECORD_ATTENDANCE = "record_attendance"  # tick who attended a live session
    WORK_LEADS = "work_leads"  # the leads list: touch, accept, reject
    VIEW_LEADS = "view_leads"  # a lead's page: one's own, one's teams' or every lead
    IMPORT_DATA = "import_data"  # CRM imports, unmatched leads
    USE_API = "use_api"  # personal API tokens
    OVERRIDE_GATE = "override_gate"  # launch below the readiness threshold, with a reason
    SEE_ALL_TEAMS = "see_all_teams"  # otherwise a member sees only the teams they lead / sell in
    RECEIVE_DIGEST = "receive_digest"  # the weekly digest (leaders by default, marketers opt in)


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
    Perm.VIEW_CALENDAR: frozenset({O, M, L, R, P, V}),
    Perm.VIEW_INSIGHTS: frozenset({O, M, L, V}),
    Perm.LEAD_TEAMS: frozenset({L}),
    Perm.SELL: frozenset({R, P}),
    Perm.READ_BRIEFS: frozenset({O, M, L, R, P, V}),
    Perm.VIEW_KIT: frozenset({O, M, L, R, P, V}),
    Perm.VIEW_INTERNAL_KIT: frozenset({O, M, L, R, V}),
    Perm.GIVE_FEEDBACK: frozenset({L, R, P}),
    Perm.RECORD_ATTENDANCE: frozenset({O, M, L}),
    Perm.WORK_LEADS: frozenset({L, R, P}),
    Perm.VIEW_LEADS: frozenset({O, M, L, R, P, V}),
    Perm.IMPORT_DATA: frozenset({O, M}),
    Perm.USE_API: frozenset({O, M, L, R, P, V}),
    Perm.OVERRIDE_GATE: frozenset({O}),
    Perm.SEE_ALL_TEAMS: frozenset({O, M, V}),
    Perm.RECEIVE_DIGEST: frozenset({M, L}),
}


DESCRIPTIONS: dict[Perm, str] = {
    Perm.VIEW_ORG: "see the organization's home page and your notifications",
    Perm.MANAGE_ORG: "manage the organization: settings, people, teams, invitations, "
    "rejection reasons",
    Perm.VIEW_AUDIT: "read the audit log",
    Perm.VIEW_TEAMS: "see the team tree and headcounts",
    Perm.VIEW_MEMBERS: "see people",
    Perm.MANAGE_PROGRAMS: "write programs and their sell-in plan, launch, answer questions",
    Perm.VIEW_PROGRAMS: "see the program list and program pages",
    Perm.VIEW_CALENDAR: "see the launch calendar and the load on the teams you see",
    Perm.VIEW_INSIGHTS: "see funnels, results and pulse results",
    Perm.LEAD_TEAMS: "lead teams: endorse programs, acknowledge targets, reassign leads",
    Perm.SELL: "sell: confirm briefs, train, take checks, answer pulses, ask questions",
    Perm.READ_BRIEFS: "open a program's rep brief (others than reps see a preview)",
    Perm.VIEW_KIT: "open the rep kit's assets",
    Perm.VIEW_INTERNAL_KIT: "open kit assets not marked partner-visible",
    Perm.GIVE_FEEDBACK: "give preview feedback on a program aimed at your teams",
    Perm.RECORD_ATTENDANCE: "record who attended a live session",
    Perm.WORK_LEADS: "work leads: touch, accept, reject",
    Perm.VIEW_LEADS: "open a lead's page and history (your own, your teams' or, with every "
    "team in view, any lead)",
    Perm.IMPORT_DATA: "import CRM data and assign unmatched leads",
    Perm.USE_API: "make personal API tokens",
    Perm.OVERRIDE_GATE: "launch below the readiness threshold with a written reason",
    Perm.SEE_ALL_TEAMS: "see every team (otherwise only the teams you lead or sell in)",
    Perm.RECEIVE_DIGEST: "get the weekly digest e-mail (sales leaders unless they unsubscribe, "
    "marketers when they subscribe)",
}


def permissions_markdown() -> str:
    """docs/permissions.md, generated from the table (`lockstep permissions`)."""
    roles = list(Role)
    lines = [
        "# Permissions",
        "",
        "Generated from `lockstep/core/permissions.py` by `lockstep permissions > "
        "docs/permissions.md`; a test fails when the two differ. Every page declares one "
        "of these permissions; a member without it gets 403, a non-member 404.",
        "",
        "| permission | " + " | ".join(r.label.lower() for r in roles) + " |",
        "|---|" + ":-:|" * len(roles),
    ]
    for perm in Perm:
        marks = " | ".join("✓" if r in PERMISSIONS[perm] else "" for r in roles)
        lines.append(f"| {DESCRIPTIONS[perm]} (`{perm.name}`) | {marks} |")
    return "\n".join(lines) + "\n"


def can(membership: Membership | None, perm: Perm) -> bool:
    return membership is not None and role_can(membership.role, perm)


def role_can(role: str, perm: Perm) -> bool:
    return role in PERMISSIONS[perm]


class Abilities:
    """What one member may do, for templates: `{% if can.MANAGE_PROGRAMS %}`."""

    def __init__(self, membership: Membership | None) -> None:
        self._membership = membership

    def __getattr__(self, name: str) -> bool:
        try:
            perm = Perm[name]
        except KeyError:
            raise AttributeError(name) from None
        return can(self._membership, perm)

    def __getitem__(self, name: str) -> bool:
        return bool(getattr(self, name))
