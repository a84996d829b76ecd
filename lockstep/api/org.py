"""The caller's organization: who am I, settings, teams, members, invitations, notifications,
tokens, rejection reasons, the audit log and activity events."""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any, Literal

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from lockstep.accounts.models import ApiToken
from lockstep.accounts.services import revoke_token
from lockstep.api.auth import caller
from lockstep.api.common import (
    Id,
    bound,
    cursor_param,
    endpoint,
    limit_param,
    next_cursor_field,
    page,
    query,
)
from lockstep.api.schemas import (
    Done,
    Input,
    IsoDate,
    IsoDateTime,
    LocalTime,
    PersonOut,
    QueryBool,
    person,
)
from lockstep.core.events import Verb
from lockstep.core.models import AuditLog, Notification
from lockstep.core.permissions import PERMISSIONS, Perm, Role
from lockstep.insights.selectors import visible_events
from lockstep.orgs import notify
from lockstep.orgs import services as orgs
from lockstep.orgs.access import access_invitation, access_membership, access_team
from lockstep.orgs.forms import InviteForm, MembershipForm, OrgSettingsForm, TeamForm
from lockstep.orgs.models import AssetKind, Channel, Invitation, Membership, Organization, Team
from lockstep.orgs.selectors import team_rows, team_scope, visible_members
from lockstep.results import services as results
from lockstep.results.access import access_rejection_reason
from lockstep.results.models import RejectionReason

router = Router(tags=["organization"])

RoleName = Literal["owner", "marketer", "sales_leader", "rep", "partner_rep", "viewer"]
ChannelName = Literal["direct", "inside_sales", "partner"]
AssetKindName = Literal["brief", "talk_track", "faq", "battlecard", "collateral", "demo", "other"]
for _names, _choices in ((RoleName, Role), (ChannelName, Channel), (AssetKindName, AssetKind)):
    if set(typing.get_args(_names)) != set(_choices.values):  # the enums and the schema agree
        raise ImproperlyConfigured(f"{_names} no longer matches {_choices.__name__}")


# --- me -------------------------------------------------------------------------------


class OrgRef(Schema):
    id: int
    slug: str
    name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None


class MeOut(Schema):
    user: PersonOut
    organization: OrgRef
    member_id: int
    role: RoleName
    team_id: int | None
    permissions: list[str] = Field(description="What the role may do (docs/permissions.md).")


def token_out(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
        "expires_at": t.expires_at,
    }


@endpoint(router.get, "/me", Perm.USE_API, MeOut, summary="Who the token acts as")
def me(request: HttpRequest) -> Any:
    m = caller(request)
    return {
        "user": person(m.user),
        "organization": {"id": m.org.pk, "slug": m.org.slug, "name": m.org.name},
        "member_id": m.pk,
        "role": m.role,
        "team_id": m.team_id,
        "permissions": [p.value for p in Perm if m.role in PERMISSIONS[p]],
    }


class TokenList(Schema):
    items: list[TokenOut]


@endpoint(router.get, "/tokens", Perm.USE_API, TokenList, summary="Your active API tokens")
def list_tokens(request: HttpRequest) -> Any:
    m = caller(request)
    tokens = ApiToken.objects.filter(membership=m, revoked_at__isnull=True)
    return {"items": [token_out(t) for t in tokens if t.is_active()]}


@endpoint(
    router.delete,
    "/tokens/{token_id}",
    Perm.USE_API,
    None,
    status=204,
    summary="Revoke one of your tokens",
)
def delete_token(request: HttpRequest, token_id: int = Id()) -> Any:
    m = caller(request)
    api_token = ApiToken.objects.filter(membership=m, pk=token_id, revoked_at__isnull=True)
    found = api_token.first()
    if found is None:
        raise Http404("No such token")
    revoke_token(api_token=found, acting_user=m.user)
    return Status(204, None)


# --- settings -------------------------------------------------------------------------


class SettingsOut(Schema):
    name: str
    slug: str
    time_zone: str
    business_day_start: LocalTime
    business_day_end: LocalTime
    business_days: list[int] = Field(description="0 = Monday … 6 = Sunday.")
    holidays: list[dt.date]
    date_order: Literal["dmy", "mdy"]
    escalate_rep_percent: int
    escalate_leader_percent: int
    readiness_threshold: int
    max_training_minutes: int
    required_asset_kinds: list[AssetKindName]


class SettingsPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    time_zone: str | None = Field(None, min_length=1, max_length=64, examples=["Europe/Berlin"])
    business_day_start: LocalTime | None = None
    business_day_end: LocalTime | None = None
    business_days: list[int] | None = Field(None, min_length=1, max_length=7)
    holidays: list[IsoDate] | None = Field(None, max_length=366)
    date_order: Literal["dmy", "mdy"] | None = None
    escalate_rep_percent: int | None = Field(None, ge=0, le=1000)
    escalate_leader_percent: int | None = Field(None, ge=10, le=1000)
    readiness_threshold: int | None = Field(None, ge=0, le=100)
    max_training_minutes: int | None = Field(None, ge=1, le=1440)
    required_asset_kinds: list[AssetKindName] | None = Field(None, max_length=7)


def settings_out(org: Organization) -> dict[str, Any]:
    return {
        **{f: getattr(org, f) for f in orgs.ORG_SETTINGS_FIELDS},
        "slug": org.slug,
        "holidays": [dt.date.fromisoformat(d) for d in org.holidays or []],
        "business_day_start": org.business_day_start.strftime("%H:%M"),
        "business_day_end": org.business_day_end.strftime("%H:%M"),
    }


@endpoint(
    router.get,
    "/organization",
    Perm.MANAGE_ORG,
    SettingsOut,
    summary="The organization and its settings",
)
def get_settings(request: HttpRequest) -> Any:
    return settings_out(caller(request).org)


@endpoint(
    router.patch,
    "/organization",
    Perm.MANAGE_ORG,
    SettingsOut,
    summary="Change settings (only the fields sent)",
)
def patch_settings(request: HttpRequest, payload: SettingsPatch) -> Any:
    m = caller(request)
    org = Organization.objects.get(pk=m.org.pk)
    data = {**settings_out(org), **payload.model_dump(exclude_none=True)}
    data["holidays"] = "\n".join(d.isoformat() for d in data["holidays"])
    for name in ("business_days",):
        data[name] = list(dict.fromkeys(data[name]))
    form = bound(OrgSettingsForm, data, instance=Organization.objects.get(pk=org.pk))
    orgs.update_org_settings(org=org, acting_user=m.user, values=form.cleaned_data)
    org.refresh_from_db()
    return settings_out(org)


# --- teams ----------------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    parent_id: int | None
    channel: ChannelName
    depth: int = Field(description="0 for a top-level team (a region).")
    reps: int = Field(description="Reps selling in this team itself.")
    total_reps: int = Field(description="Reps of this team and every team below it.")
    leader_ids: list[int] = Field(description="User ids of the sales leaders who lead it.")


class TeamList(Schema):
    items: list[TeamOut]


class TeamIn(Input):
    name: str = Field(min_length=1, max_length=120, examples=["London Enterprise"])
    parent_id: int | None = Field(None, ge=1, description="None for a top-level team.")
    channel: ChannelName = "direct"


class TeamPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    parent_id: int | None = Field(None, ge=1)
    channel: ChannelName | None = None
    top_level: bool = Field(False, description="Move the team to the top (no parent).")


def team_out(row: dict[str, Any]) -> dict[str, Any]:
    team: Team = row["team"]
    return {
        "id": team.pk,
        "name": team.name,
        "parent_id": team.parent_id,
        "channel": team.channel,
        "depth": row["depth"],
        "reps": row["reps"],
        "total_reps": row["total"],
        "leader_ids": [m.user_id for m in team.leaders.all()],
    }


def _team_row(m: Membership, team: Team) -> dict[str, Any]:
    for row in team_rows(m.org, only={team.pk}):
        return team_out(row)
    return team_out({"team": team, "depth": 0, "reps": 0, "total": 0})


@endpoint(
    router.get,
    "/teams",
    Perm.VIEW_TEAMS,
    TeamList,
    summary="The team tree (a leader sees the teams they lead)",
)
def list_teams(request: HttpRequest) -> Any:
    m = caller(request)
    return {"items": [team_out(r) for r in team_rows(m.org, only=team_scope(m))]}


@endpoint(router.get, "/teams/{team_id}", Perm.VIEW_TEAMS, TeamOut, summary="One team")
def get_team(request: HttpRequest, team_id: int = Id()) -> Any:
    m = caller(request)
    return _team_row(m, access_team(m, team_id))


@endpoint(router.post, "/teams", Perm.MANAGE_ORG, TeamOut, status=201, summary="Add a team")
def create_team(request: HttpRequest, payload: TeamIn) -> Any:
    m = caller(request)
    form = bound(
        TeamForm,
        {"name": payload.name, "parent": payload.parent_id, "channel": payload.channel},
        rename={"parent": "parent_id"},
        org=m.org,
    )
    team = orgs.create_team(org=m.org, acting_user=m.user, **form.basics())
    return Status(201, _team_row(m, team))


@endpoint(
    router.patch,
    "/teams/{team_id}",
    Perm.MANAGE_ORG,
    TeamOut,
    summary="Rename, move or change the channel of a team",
)
def patch_team(request: HttpRequest, payload: TeamPatch, team_id: int = Id()) -> Any:
    m = caller(request)
    team = access_team(m, team_id)
    parent = None if payload.top_level else (payload.parent_id or team.parent_id)
    data = {
        "name": payload.name or team.name,
        "parent": parent,
        "channel": payload.channel or team.channel,
    }
    form = bound(TeamForm, data, rename={"parent": "parent_id"}, org=m.org, team=team)
    orgs.update_team(team=team, acting_user=m.user, **form.basics())
    return _team_row(m, team)


@endpoint(
    router.delete,
    "/teams/{team_id}",
    Perm.MANAGE_ORG,
    None,
    status=204,
    summary="Delete an empty team",
)
def delete_team(request: HttpRequest, team_id: int = Id()) -> Any:
    m = caller(request)
    orgs.delete_team(team=access_team(m, team_id), acting_user=m.user)
    return Status(204, None)


# --- members --------------------------------------------------------------------------


class MemberOut(Schema):
    id: int = Field(description="The membership id (use it in /members/{member_id}).")
    user: PersonOut
    role: RoleName
    team_id: int | None = Field(description="The team a rep or partner rep sells in.")
    led_team_ids: list[int] = Field(description="The teams a sales leader leads.")
    created_at: dt.datetime


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None = next_cursor_field()


class MemberPatch(Input):
    role: RoleName | None = None
    team_id: int | None = Field(None, ge=1, description="Reps and partner reps.")
    led_team_ids: list[int] | None = Field(None, max_length=500, description="Sales leaders.")


def member_out(m: Membership) -> dict[str, Any]:
    return {
        "id": m.pk,
        "user": person(m.user),
        "role": m.role,
        "team_id": m.team_id,
        "led_team_ids": [t.pk for t in m.led_teams.all()],
        "created_at": m.created_at,
    }


@endpoint(
    router.get,
    "/members",
    Perm.VIEW_MEMBERS,
    MemberPage,
    summary="People (a leader sees the people of their teams)",
)
def list_members(
    request: HttpRequest,
    role: RoleName | None = query(None),
    q: str | None = query(None, max_length=100, description="Part of a name, e-mail or team."),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    m = caller(request)
    members = visible_members(m).select_related("user").prefetch_related("led_teams")
    if role:
        members = members.filter(role=role)
    if q:
        members = members.filter(
            Q(user__email__icontains=q)
            | Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q)
            | Q(team__name__icontains=q)
        )
    return page(members, cursor, limit, member_out)


@endpoint(router.get, "/members/{member_id}", Perm.VIEW_MEMBERS, MemberOut, summary="One member")
def get_member(request: HttpRequest, member_id: int = Id()) -> Any:
    return member_out(access_membership(caller(request), member_id))


@endpoint(
    router.patch,
    "/members/{member_id}",
    Perm.MANAGE_ORG,
    MemberOut,
    summary="Change a member's role and teams",
)
def patch_member(request: HttpRequest, payload: MemberPatch, member_id: int = Id()) -> Any:
    m = caller(request)
    target = access_membership(m, member_id)
    data = {
        "role": payload.role or target.role,
        "team": payload.team_id if payload.team_id is not None else target.team_id,
        "led_teams": payload.led_team_ids
        if payload.led_team_ids is not None
        else [t.pk for t in target.led_teams.all()],
    }
    form = bound(
        MembershipForm,
        data,
        rename={"team": "team_id", "led_teams": "led_team_ids"},
        membership=target,
    )
    orgs.change_membership(
        membership=target,
        acting_user=m.user,
        role=form.cleaned_data["role"],
        team=form.cleaned_data["team"],
        led_teams=form.cleaned_data["led_teams"],
    )
    return member_out(access_membership(m, member_id))


@endpoint(
    router.delete,
    "/members/{member_id}",
    Perm.MANAGE_ORG,
    None,
    status=204,
    summary="Remove someone from the organization",
)
def delete_member(request: HttpRequest, member_id: int = Id()) -> Any:
    m = caller(request)
    orgs.remove_membership(membership=access_membership(m, member_id), acting_user=m.user)
    return Status(204, None)


# --- invitations ----------------------------------------------------------------------


class InvitationOut(Schema):
    id: int
    email: str
    role: RoleName
    team_id: int | None
    status: Literal["pending", "accepted", "revoked", "expired"]
    created_at: dt.datetime
    expires_at: dt.datetime


class InvitationPage(Schema):
    items: list[InvitationOut]
    next_cursor: str | None = next_cursor_field()


class InvitationIn(Input):
    email: str = Field(min_length=3, max_length=254, examples=["new.rep@acme.example"])
    role: RoleName = "rep"
    team_id: int | None = Field(None, ge=1, description="A rep's team, or the team a leader leads.")


def invitation_out(i: Invitation) -> dict[str, Any]:
    return {
        "id": i.pk,
        "email": i.email,
        "role": i.role,
        "team_id": i.team_id,
        "status": i.status(),
        "created_at": i.created_at,
        "expires_at": i.expires_at,
    }


@endpoint(router.get, "/invitations", Perm.MANAGE_ORG, InvitationPage, summary="Invitations")
def list_invitations(
    request: HttpRequest, cursor: str | None = cursor_param(), limit: int = limit_param()
) -> Any:
    m = caller(request)
    return page(Invitation.objects.for_org(m.org), cursor, limit, invitation_out)


@endpoint(
    router.post,
    "/invitations",
    Perm.MANAGE_ORG,
    InvitationOut,
    status=201,
    summary="Invite someone by e-mail",
)
def create_invitation(request: HttpRequest, payload: InvitationIn) -> Any:
    m = caller(request)
    data = {"email": payload.email, "role": payload.role, "team": payload.team_id}
    form = bound(InviteForm, data, rename={"team": "team_id"}, org=m.org)
    invitation = orgs.invite_member(
        org=m.org,
        acting_user=m.user,
        email=form.cleaned_data["email"],
        role=form.cleaned_data["role"],
        team=form.cleaned_data["team"],
    )
    return Status(201, invitation_out(invitation))


@endpoint(
    router.post,
    "/invitations/{invitation_id}/revoke",
    Perm.MANAGE_ORG,
    InvitationOut,
    summary="Revoke a pending invitation",
)
def revoke_invitation(request: HttpRequest, invitation_id: int = Id()) -> Any:
    m = caller(request)
    invitation = access_invitation(m, invitation_id)
    orgs.revoke_invitation(invitation=invitation, acting_user=m.user)
    return invitation_out(access_invitation(m, invitation_id))


# --- notifications --------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None = next_cursor_field()


@endpoint(
    router.get, "/notifications", Perm.VIEW_ORG, NotificationPage, summary="Your notifications"
)
def list_notifications(
    request: HttpRequest,
    unread: QueryBool = query(False),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    m = caller(request)
    mine = Notification.objects.for_org(m.org).filter(user=m.user)
    if unread:
        mine = mine.filter(read_at__isnull=True)
    return page(
        mine,
        cursor,
        limit,
        lambda n: {
            "id": n.pk,
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "url": n.url,
            "created_at": n.created_at,
            "read_at": n.read_at,
        },
    )


@endpoint(
    router.post,
    "/notifications/read",
    Perm.VIEW_ORG,
    Done,
    summary="Mark all your notifications read",
)
def read_notifications(request: HttpRequest) -> Any:
    m = caller(request)
    notify.mark_all_read(org=m.org, user=m.user)
    return {"ok": True, "detail": "All read."}


# --- rejection reasons ----------------------------------------------------------------


class ReasonOut(Schema):
    id: int
    code: str
    label: str
    active: bool


class ReasonList(Schema):
    items: list[ReasonOut]


class ReasonIn(Input):
    label: str = Field(min_length=1, max_length=80, examples=["Competitor customer"])


def reason_out(r: RejectionReason) -> dict[str, Any]:
    return {"id": r.pk, "code": r.code, "label": r.label, "active": r.active}


@endpoint(
    router.get, "/rejection-reasons", Perm.VIEW_ORG, ReasonList, summary="Why leads may be rejected"
)
def list_reasons(request: HttpRequest) -> Any:
    m = caller(request)
    results.ensure_rejection_reasons(m.org)
    return {"items": [reason_out(r) for r in RejectionReason.objects.for_org(m.org)]}


@endpoint(
    router.post,
    "/rejection-reasons",
    Perm.MANAGE_ORG,
    ReasonOut,
    status=201,
    summary="Add a rejection reason",
)
def create_reason(request: HttpRequest, payload: ReasonIn) -> Any:
    from lockstep.results.forms import RejectionReasonForm

    m = caller(request)
    form = bound(RejectionReasonForm, {"label": payload.label})
    reason = results.add_rejection_reason(
        org=m.org, acting_user=m.user, label=form.cleaned_data["label"]
    )
    return Status(201, reason_out(reason))


@endpoint(
    router.post,
    "/rejection-reasons/{reason_id}/toggle",
    Perm.MANAGE_ORG,
    ReasonOut,
    summary="Retire a reason, or restore it",
)
def toggle_reason(request: HttpRequest, reason_id: int = Id()) -> Any:
    m = caller(request)
    reason = access_rejection_reason(m, reason_id)
    results.toggle_rejection_reason(reason=reason, acting_user=m.user)
    return reason_out(reason)


# --- audit log and activity events ------------------------------------------------------


class AuditOut(Schema):
    id: int
    action: str
    actor: PersonOut | None
    object_type: str
    object_id: int | None
    object_repr: str
    changes: dict[str, Any]
    note: str
    created_at: dt.datetime


class AuditPage(Schema):
    items: list[AuditOut]
    next_cursor: str | None = next_cursor_field()


@endpoint(
    router.get,
    "/audit-log",
    Perm.VIEW_AUDIT,
    AuditPage,
    summary="Who changed what (owners), oldest first",
)
def audit_log(
    request: HttpRequest,
    action: str | None = query(None, max_length=60, description="Prefix, e.g. `program.`"),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    m = caller(request)
    rows = AuditLog.objects.for_org(m.org).select_related("actor")
    if action:
        rows = rows.filter(action__startswith=action)
    return page(
        rows,
        cursor,
        limit,
        lambda a: {
            "id": a.pk,
            "action": a.action,
            "actor": person(a.actor),
            "object_type": a.object_type,
            "object_id": a.object_id,
            "object_repr": a.object_repr,
            "changes": a.changes,
            "note": a.note,
            "created_at": a.created_at,
        },
    )


class EventOut(Schema):
    id: int
    verb: str = Field(examples=["brief.acknowledged"])
    actor: PersonOut | None = Field(description="Hidden for anonymous pulse answers.")
    program_id: int | None
    object_type: str
    object_id: int | None
    occurred_at: dt.datetime
    payload: dict[str, Any]


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None = next_cursor_field()


@endpoint(
    router.get,
    "/events",
    Perm.VIEW_INSIGHTS,
    EventPage,
    summary="Activity events, oldest first: poll with the cursor for new ones",
)
def events(
    request: HttpRequest,
    verb: str | None = query(None, max_length=40, description="e.g. `lead.touched`"),
    program_id: int | None = query(None, ge=1, le=2**63 - 1),
    since: IsoDateTime | None = query(None, description="Occurred at or after (ISO 8601)."),
    until: IsoDateTime | None = query(None, description="Occurred before (ISO 8601)."),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
) -> Any:
    m = caller(request)
    rows, anonymous = visible_events(m)
    if verb:
        rows = rows.filter(verb=verb)
    if program_id:
        rows = rows.filter(program_id=program_id)
    if since:
        rows = rows.filter(occurred_at__gte=since)
    if until:
        rows = rows.filter(occurred_at__lt=until)

    def out(e: Any) -> dict[str, Any]:
        secret = e.verb == Verb.PULSE_ANSWERED and e.program_id in anonymous
        return {
            "id": e.pk,
            "verb": e.verb,
            "actor": None if secret else person(e.actor),
            "program_id": e.program_id,
            "object_type": "" if secret else e.object_type,
            "object_id": None if secret else e.object_id,
            "occurred_at": e.occurred_at,
            "payload": {} if secret else e.payload,
        }

    return page(rows.select_related("actor"), cursor, limit, out)
