"""State changes for organizations, teams, memberships and invitations.

Services trust their input (forms and import specs validate), run in a transaction,
write the audit log and queue e-mail on commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from lockstep.accounts import services as accounts
from lockstep.accounts import throttle, two_factor
from lockstep.accounts.models import ApiToken, User
from lockstep.core.errors import Conflict, TooMany
from lockstep.core.events import Action
from lockstep.core.permissions import SELLING_ROLES, Role
from lockstep.core.services import diff, record_audit
from lockstep.core.tasks import send_email
from lockstep.orgs.models import Invitation, Membership, Organization, Team
from lockstep.orgs.notify import absolute_url
from lockstep.orgs.selectors import forget_team_tree

Outcome = Literal["created", "updated", "unchanged"]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- organizations ----------------------------------------------------------------------


@transaction.atomic
def create_organization(
    *, name: str, slug: str, owner_email: str, acting_user: User | None = None
) -> tuple[Organization, User]:
    org = Organization.objects.create(name=name, slug=slug)
    owner = User.objects.filter(email__iexact=owner_email).first()
    if owner is None:
        owner = User.objects.create_user(owner_email)
    Membership.objects.create(org=org, user=owner, role=Role.OWNER)
    record_audit(org=org, acting_user=acting_user, action=Action.ORG_CREATED, obj=org)
    return org, owner


ORG_SETTINGS_FIELDS = (
    "name",
    "time_zone",
    "business_day_start",
    "business_day_end",
    "business_days",
    "readiness_threshold",
    "max_training_minutes",
    "required_asset_kinds",
    "holidays",
    "date_order",
    "escalate_rep_percent",
    "escalate_leader_percent",
)


@transaction.atomic
def update_org_settings(*, org: Organization, acting_user: User, values: dict[str, Any]) -> None:
    before = {field: getattr(org, field) for field in ORG_SETTINGS_FIELDS}
    for field in ORG_SETTINGS_FIELDS:
        if field in values:
            setattr(org, field, values[field])
    org.save()
    after = {field: getattr(org, field) for field in ORG_SETTINGS_FIELDS}
    changes = diff(before, after)
    if changes:
        record_audit(
            org=org,
            acting_user=acting_user,
            action=Action.ORG_SETTINGS_CHANGED,
            obj=org,
            changes=changes,
        )


# --- teams ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamClock:
    """A team's own time zone and business hours; empty values are inherited down the
    tree (`orgs.selectors.team_hours`)."""

    time_zone: str = ""
    business_day_start: dt.time | None = None
    business_day_end: dt.time | None = None
    business_days: tuple[int, ...] | None = None


CLOCK_FIELDS = ("time_zone", "business_day_start", "business_day_end", "business_days")


def team_fields(team: Team) -> dict[str, Any]:
    values = {"name": team.name, "parent": team.parent, "channel": team.channel}
    values.update({f: getattr(team, f) for f in CLOCK_FIELDS})
    return values


def _set_clock(team: Team, clock: TeamClock | None) -> None:
    if clock is None:  # the caller does not manage clocks (imports, the API's basics)
        return
    for name in CLOCK_FIELDS:
        value = getattr(clock, name)
        setattr(team, name, list(value) if isinstance(value, tuple) else value)


@transaction.atomic
def create_team(
    *,
    org: Organization,
    acting_user: User | None,
    name: str,
    parent: Team | None,
    channel: str,
    clock: TeamClock | None = None,
) -> Team:
    team = Team(org=org, name=name, parent=parent, channel=channel)
    _set_clock(team, clock)
    team.save()
    forget_team_tree()
    record_audit(
        org=org,
        acting_user=acting_user,
        action=Action.TEAM_CREATED,
        obj=team,
        changes=diff({}, team_fields(team)),
    )
    return team


@transaction.atomic
def update_team(
    *,
    team: Team,
    acting_user: User | None,
    name: str,
    parent: Team | None,
    channel: str,
    clock: TeamClock | None = None,
) -> Outcome:
    before = team_fields(team)
    team.name, team.parent, team.channel = name, parent, channel
    _set_clock(team, clock)
    changes = diff(before, team_fields(team))
    if not changes:
        return "unchanged"
    team.save()
    forget_team_tree()
    record_audit(
        org=team.org, acting_user=acting_user, action=Action.TEAM_UPDATED, obj=team, changes=changes
    )
    return "updated"


@transaction.atomic
def delete_team(*, team: Team, acting_user: User) -> None:
    if team.children.exists() or team.members.exists():
        raise Conflict(
            f"“{team.name}” still has sub-teams or members: move them to another team first."
        )
    record_audit(org=team.org, acting_user=acting_user, action=Action.TEAM_DELETED, obj=team)
    team.delete()
    forget_team_tree()


# --- memberships ----------------------------------------------------------------------


def membership_fields(membership: Membership) -> dict[str, Any]:
    led = sorted(t.name for t in membership.led_teams.all()) if membership.pk else []
    return {"role": membership.role, "team": membership.team, "led_teams": led}


@transaction.atomic
def change_membership(
    *,
    membership: Membership,
    acting_user: User | None,
    role: str,
    team: Team | None,
    led_teams: Iterable[Team] = (),
) -> Outcome:
    if membership.role == Role.OWNER and role != Role.OWNER:
        _keep_an_owner(membership)
    before = membership_fields(membership)
    membership.role = role
    membership.team = team if role in SELLING_ROLES else None
    membership.save()
    membership.led_teams.set(list(led_teams) if role == Role.SALES_LEADER else [])
    membership.__dict__.pop("_leader_team_ids", None)
    changes = diff(before, membership_fields(membership))
    if not changes:
        return "unchanged"
    record_audit(
        org=membership.org,
        acting_user=acting_user,
        action=Action.MEMBER_CHANGED,
        obj=membership.user,
        changes=changes,
    )
    return "updated"


class LastOwner(Conflict):
    pass


def _keep_an_owner(membership: Membership) -> None:
    """Refuse to demote or remove the organization's last owner. The organization row is
    locked first, so two owners demoting each other at once are decided one after the
    other: the second sees one owner left and is refused."""
    Organization.objects.select_for_update().filter(pk=membership.org_id).first()
    others = (
        Membership.objects.filter(org_id=membership.org_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )
    if others == 0:
        raise LastOwner("This is the only owner: make someone else owner first.")


@transaction.atomic
def remove_membership(*, membership: Membership, acting_user: User) -> None:
    if membership.role == Role.OWNER:
        _keep_an_owner(membership)
    record_audit(
        org=membership.org,
        acting_user=acting_user,
        action=Action.MEMBER_REMOVED,
        obj=membership.user,
        changes={"role": [membership.role, None]},
    )
    membership.delete()


@transaction.atomic
def upsert_member(
    *,
    org: Organization,
    acting_user: User | None,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    team: Team | None,
) -> Outcome:
    """Create or update a person and their membership (used by the users import).

    For a sales leader, `team` is a team they lead (added to the teams they lead)."""
    user = User.objects.filter(email__iexact=email).first()
    outcome: Outcome = "unchanged"
    if user is None:
        user = User.objects.create_user(email, first_name=first_name, last_name=last_name)
        outcome = "created"
    elif (user.first_name, user.last_name) != (first_name, last_name):
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
        outcome = "updated"
    membership = Membership.objects.for_org(org).filter(user=user).first()
    if membership is None:
        membership = Membership.objects.create(org=org, user=user, role=role)
        record_audit(org=org, acting_user=acting_user, action=Action.MEMBER_ADDED, obj=user)
        outcome = "created"
    led = list(Team.objects.filter(leaders=membership))
    if role == Role.SALES_LEADER and team is not None and team not in led:
        led.append(team)
    changed = change_membership(
        membership=membership, acting_user=acting_user, role=role, team=team, led_teams=led
    )
    return "updated" if outcome == "unchanged" and changed == "updated" else outcome


# --- invitations ----------------------------------------------------------------------


@transaction.atomic
def invite_member(
    *, org: Organization, acting_user: User, email: str, role: str, team: Team | None
) -> Invitation:
    allowed = throttle.hits(
        [
            ("invite-address", email, settings.INVITATIONS_PER_ADDRESS, 24 * 60),
            ("invite-inviter", str(acting_user.pk), settings.INVITATIONS_PER_INVITER, 60),
        ]
    )
    if not allowed:
        raise TooMany(
            f"Too many invitations: at most {settings.INVITATIONS_PER_ADDRESS} a day to one "
            f"address and {settings.INVITATIONS_PER_INVITER} an hour from one person. "
            "Try again later."
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        org=org,
        email=email.lower(),
        role=role,
        team=team,
        token_hash=hash_token(token),
        invited_by=acting_user,
        expires_at=now + dt.timedelta(days=settings.INVITATION_DAYS),
    )
    record_audit(
        org=org,
        acting_user=acting_user,
        action=Action.INVITATION_SENT,
        obj=invitation,
        changes={"email": [None, invitation.email], "role": [None, role]},
    )
    context = {
        "invitation": invitation,
        "url": absolute_url(reverse("accept_invitation", args=[token])),
        "inviter": acting_user,
    }
    subject = f"{acting_user} invited you to {org.name} on Lockstep"
    text = render_to_string("email/invitation.txt", context)
    html = render_to_string("email/invitation.html", context)
    transaction.on_commit(lambda: send_email.enqueue([invitation.email], subject, text, html))
    return invitation


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, acting_user: User) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record_audit(
        org=invitation.org,
        acting_user=acting_user,
        action=Action.INVITATION_REVOKED,
        obj=invitation,
    )


def find_pending_invitation(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("org", "team")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return invitation if invitation is not None and invitation.is_pending else None


class InvitationUsed(Conflict):
    pass


@transaction.atomic
def accept_invitation(
    *,
    invitation: Invitation,
    user: User | None,
    first_name: str = "",
    last_name: str = "",
    password: str = "",
) -> Membership:
    """Join the organization. `user` is the signed-in or existing person, else one is made."""
    # Lock the row so two clicks on the same link cannot both succeed.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise InvitationUsed("This invitation has already been used or has expired.")
    if user is None:
        user = User.objects.create_user(
            invitation.email, password=password, first_name=first_name, last_name=last_name
        )
    membership = Membership.objects.for_org(invitation.org).filter(user=user).first()
    if membership is None:
        membership = Membership.objects.create(
            org=invitation.org,
            user=user,
            role=invitation.role,
            team=invitation.team if invitation.role in SELLING_ROLES else None,
        )
        if invitation.role == Role.SALES_LEADER and invitation.team is not None:
            membership.led_teams.add(invitation.team)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record_audit(
        org=invitation.org, acting_user=user, action=Action.INVITATION_ACCEPTED, obj=invitation
    )
    return membership


# --- a member's own settings ------------------------------------------------------------


@transaction.atomic
def set_email_notifications(*, membership: Membership, enabled: bool) -> None:
    if membership.email_notifications == enabled:
        return
    membership.email_notifications = enabled
    membership.save(update_fields=["email_notifications"])
    record_audit(
        org=membership.org,
        acting_user=membership.user,
        action=Action.MEMBER_NOTIFICATIONS_CHANGED,
        obj=membership.user,
        changes={"email_notifications": [not enabled, enabled]},
    )


@transaction.atomic
def set_email_kind(*, membership: Membership, kind: str, enabled: bool, via: str = "page") -> bool:
    """Turn one kind of e-mail (`notify.MAIL_KINDS`) off or on again for a member — from
    their notifications page or an e-mail's one-click unsubscribe link (`via`). Idempotent:
    False (and no audit row) when nothing changed."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    before = list(locked.email_off)
    after = sorted((set(before) - {kind}) if enabled else (set(before) | {kind}))
    if after == sorted(before):
        return False
    locked.email_off = after
    locked.save(update_fields=["email_off"])
    membership.email_off = after
    record_audit(
        org=locked.org, acting_user=locked.user, action=Action.MEMBER_NOTIFICATIONS_CHANGED,
        obj=locked.user, changes={"email_off": [before, after]},
        note="via the one-click link in an e-mail" if via == "link" else "",
    )  # fmt: skip
    return True


# --- security: two-factor policy, a member's sessions, tokens and second factor ------------


@transaction.atomic
def set_two_factor_requirement(*, org: Organization, acting_user: User, required: bool) -> None:
    """Require two-factor log-in of the organization's owners and marketers. The owner who
    turns it on must use it already (or they would lock themselves out of this page)."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if org.require_two_factor == required:
        return
    if required and not two_factor.has_two_factor(acting_user):
        raise Conflict("Set up two-factor log-in for yourself first (user menu → Two-factor).")
    org.require_two_factor = required
    org.save(update_fields=["require_two_factor"])
    record_audit(
        org=org,
        acting_user=acting_user,
        action=Action.ORG_SETTINGS_CHANGED,
        obj=org,
        changes={"require_two_factor": [not required, required]},
    )


@transaction.atomic
def end_member_sessions(*, membership: Membership, acting_user: User) -> None:
    """Log the member out everywhere (their next request asks them to log in)."""
    accounts.end_sessions(membership.user)
    record_audit(
        org=membership.org,
        acting_user=acting_user,
        action=Action.SESSIONS_ENDED,
        obj=membership.user,
    )


@transaction.atomic
def revoke_member_tokens(*, membership: Membership, acting_user: User) -> int:
    """Revoke every API token the member has in this organization; returns how many."""
    count = ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    record_audit(
        org=membership.org,
        acting_user=acting_user,
        action=Action.MEMBER_TOKENS_REVOKED,
        obj=membership.user,
        changes={"revoked": [0, count]},
    )
    return count


@transaction.atomic
def reset_member_two_factor(*, membership: Membership, acting_user: User) -> None:
    """Remove a member's second factor (a lost phone and lost recovery codes) and end their
    sessions. Only for a person who belongs to this organization alone: an owner must not
    weaken how someone logs in to another organization."""
    if Membership.objects.filter(user_id=membership.user_id).exclude(org=membership.org).exists():
        raise Conflict(
            f"{membership.user} also belongs to other organizations: only they can change "
            "their two-factor settings (with a recovery code), or a server administrator."
        )
    two_factor.disable(membership.user)
    accounts.end_sessions(membership.user)
    record_audit(
        org=membership.org,
        acting_user=acting_user,
        action=Action.TWO_FACTOR_RESET,
        obj=membership.user,
    )
