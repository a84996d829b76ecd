"""Loading an organization's objects for a member: scoped by organization and by what the
member's role may see. Missing and foreign objects are the same 404."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from lockstep.orgs.models import Invitation, Membership, Team
from lockstep.orgs.selectors import team_scope


def access_team(membership: Membership, team_id: int, *, for_update: bool = False) -> Team:
    """A team of the member's organization; a sales leader only reaches the teams they lead."""
    teams = Team.objects.for_org(membership.org)
    scope = team_scope(membership)
    if scope is not None:
        teams = teams.filter(pk__in=scope)
    if for_update:
        teams = teams.select_for_update()
    team = teams.filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team")
    return team


def access_membership(
    membership: Membership, membership_id: int, *, for_update: bool = False
) -> Membership:
    """A member of the organization; a sales leader only reaches the people of their teams."""
    members = Membership.objects.for_org(membership.org).select_related("user", "team", "org")
    scope = team_scope(membership)
    if scope is not None:
        leading = Membership.objects.filter(led_teams__in=scope).values("pk")
        members = members.filter(Q(team_id__in=scope) | Q(pk__in=leading))
    if for_update:
        members = members.select_for_update(of=("self",))
    found = members.filter(pk=membership_id).first()
    if found is None:
        raise Http404("No such member")
    return found


def access_invitation(
    membership: Membership, invitation_id: int, *, for_update: bool = False
) -> Invitation:
    invitations = Invitation.objects.for_org(membership.org).select_related("org")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation")
    return invitation
