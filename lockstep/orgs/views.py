"""Organization pages: role-based home, members, invitations, teams, settings, audit log."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lockstep.accounts.models import ApiToken
from lockstep.api.auth import create_token, revoke_token
from lockstep.core.models import AuditLog, Notification
from lockstep.core.permissions import Perm, can
from lockstep.core.tenancy import OrgRequest, access_membership, access_team, org_view
from lockstep.orgs import services
from lockstep.orgs.forms import InviteForm, MembershipForm, OrgSettingsForm, TeamForm
from lockstep.orgs.models import Channel, Invitation, Membership, Organization, Role, Team
from lockstep.programs.models import Program, ProgramStatus
from lockstep.programs.views import rep_programs


def team_tree(org: Organization, only: set[int] | None = None) -> list[dict[str, Any]]:
    """Teams as a flat, depth-annotated list in tree order, with headcounts."""
    teams = list(
        Team.objects.for_org(org)
        .annotate(
            reps=Count("members", filter=Q(members__role__in=[Role.REP, Role.PARTNER_REP])),
        )
        .prefetch_related("leaders__user")
        .order_by("name")
    )
    by_parent: dict[int | None, list[Team]] = {}
    for team in teams:
        by_parent.setdefault(team.parent_id, []).append(team)
    rows: list[dict[str, Any]] = []

    def walk(parent_id: int | None, depth: int) -> int:
        total = 0
        for team in by_parent.get(parent_id, []):
            row = {"team": team, "depth": depth, "reps": team.reps}  # type: ignore[attr-defined]
            rows.append(row)
            row["total"] = team.reps + walk(team.pk, depth + 1)  # type: ignore[attr-defined]
            total += row["total"]
        return total

    walk(None, 0)
    if only is not None:
        rows = [row for row in rows if row["team"].pk in only]
    return rows


@org_view()
def home(request: OrgRequest) -> HttpResponse:
    org, membership = request.org, request.membership
    context: dict[str, Any] = {"role": membership.role}
    if membership.is_rep:
        context["team"] = membership.team
        context["live_programs"] = rep_programs(membership)
        return render(request, "orgs/home_rep.html", context)
    if membership.role == Role.SALES_LEADER:
        ids = services.leader_team_ids(membership)
        context["rows"] = team_tree(org, only=ids)
        context["rep_total"] = (
            Membership.objects.for_org(org)
            .filter(team_id__in=ids, role__in=[Role.REP, Role.PARTNER_REP])
            .count()
        )
        return render(request, "orgs/home_leader.html", context)
    by_role = Counter(
        dict(
            Membership.objects.for_org(org)
            .values_list("role")
            .annotate(n=Count("id"))
            .values_list("role", "n")
        )
    )
    channels = (
        Membership.objects.for_org(org)
        .filter(role__in=[Role.REP, Role.PARTNER_REP], team__isnull=False)
        .values_list("team__channel")
        .annotate(n=Count("id"))
    )
    context.update(
        {
            "by_role": [(label, by_role.get(value, 0)) for value, label in Role.choices],
            "by_channel": [(Channel(c).label, n) for c, n in channels],
            "team_count": Team.objects.for_org(org).count(),
            "programs": Program.objects.for_org(org).exclude(status=ProgramStatus.CLOSED)[:10],
            "pending_invitations": [
                i
                for i in Invitation.objects.for_org(org).filter(
                    accepted_at__isnull=True, revoked_at__isnull=True
                )
                if i.is_pending
            ],
            "recent_audit": AuditLog.objects.for_org(org).select_related("actor")[:8]
            if can(membership, Perm.VIEW_AUDIT)
            else [],
        }
    )
    return render(request, "orgs/home.html", context)


@org_view(Perm.VIEW_MEMBERS)
def members(request: OrgRequest) -> HttpResponse:
    org = request.org
    qs = (
        Membership.objects.for_org(org).select_related("user", "team").prefetch_related("led_teams")
    )
    if request.membership.role == Role.SALES_LEADER:
        ids = services.leader_team_ids(request.membership)
        qs = qs.filter(Q(team_id__in=ids) | Q(led_teams__in=ids)).distinct()
    role = request.GET.get("role", "")
    if role in Role.values:
        qs = qs.filter(role=role)
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(
            Q(user__email__icontains=query)
            | Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
            | Q(team__name__icontains=query)
        )
    page = Paginator(
        qs.order_by("user__last_name", "user__first_name", "user__email"), 50
    ).get_page(request.GET.get("page"))
    invitations = []
    if can(request.membership, Perm.MANAGE_ORG):
        invitations = list(Invitation.objects.for_org(org).select_related("team")[:50])
    context = {
        "page": page,
        "roles": Role.choices,
        "role": role,
        "q": query,
        "invitations": invitations,
        "invite_form": InviteForm(org=org),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "orgs/members.html#member-table", context)
    return render(request, "orgs/members.html", context)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def invite(request: OrgRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, org=request.org)
    if request.method == "POST" and form.is_valid():
        services.invite_member(
            org=request.org,
            acting_user=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            team=form.cleaned_data["team"],
        )
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("orgs:members", org_slug=request.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/invite.html", {"form": form}, status=status)


@org_view(Perm.MANAGE_ORG)
@require_POST
def revoke_invitation(request: OrgRequest, invitation_id: int) -> HttpResponse:
    invitation = Invitation.objects.for_org(request.org).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation")
    if invitation.is_pending:
        services.revoke_invitation(invitation=invitation, acting_user=request.user)
        messages.success(request, f"Invitation for {invitation.email} revoked.")
    else:
        messages.error(request, f"That invitation is already {invitation.status()}.")
    return redirect("orgs:members", org_slug=request.org.slug)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def member_edit(request: OrgRequest, membership_id: int) -> HttpResponse:
    membership = access_membership(request.org, membership_id)
    initial = {
        "role": membership.role,
        "team": membership.team,
        "led_teams": list(membership.led_teams.all()),
    }
    form = MembershipForm(request.POST or None, membership=membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        outcome = services.change_membership(
            membership=membership,
            acting_user=request.user,
            role=form.cleaned_data["role"],
            team=form.cleaned_data["team"],
            led_teams=form.cleaned_data["led_teams"],
        )
        if outcome == "updated":
            messages.success(request, f"{membership.user} updated.")
        return redirect("orgs:members", org_slug=request.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "orgs/member_edit.html", {"form": form, "member": membership}, status=status
    )


@org_view(Perm.MANAGE_ORG)
@require_POST
def member_remove(request: OrgRequest, membership_id: int) -> HttpResponse:
    membership = access_membership(request.org, membership_id)
    if membership.role == Role.OWNER and services.owner_count(request.org) <= 1:
        messages.error(request, "This is the only owner: make someone else owner first.")
    else:
        services.remove_membership(membership=membership, acting_user=request.user)
        messages.success(request, f"{membership.user} no longer belongs to {request.org.name}.")
        if membership.user_id == request.user.pk:
            return redirect("home")
    return redirect("orgs:members", org_slug=request.org.slug)


@org_view(Perm.VIEW_TEAMS)
def teams(request: OrgRequest) -> HttpResponse:
    only = None
    if request.membership.role == Role.SALES_LEADER:
        only = services.leader_team_ids(request.membership)
    return render(request, "orgs/teams.html", {"rows": team_tree(request.org, only=only)})


@org_view(Perm.VIEW_TEAMS)
def team_detail(request: OrgRequest, team_id: int) -> HttpResponse:
    team = access_team(request.org, team_id)
    if request.membership.role == Role.SALES_LEADER:
        if team.pk not in services.leader_team_ids(request.membership):
            raise Http404("No such team")
    ids = services.with_descendants(request.org, [team.pk])
    reps = (
        Membership.objects.for_org(request.org)
        .filter(team_id__in=ids, role__in=[Role.REP, Role.PARTNER_REP])
        .select_related("user", "team")
        .order_by("team__name", "user__last_name")
    )
    context = {
        "team": team,
        "rows": team_tree(request.org, only=ids - {team.pk}),
        "reps": reps,
        "leaders": team.leaders.select_related("user"),
    }
    return render(request, "orgs/team_detail.html", context)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def team_create(request: OrgRequest) -> HttpResponse:
    initial = {}
    if parent_id := request.GET.get("parent", ""):
        initial["parent"] = (
            Team.objects.for_org(request.org)
            .filter(pk=parent_id if parent_id.isdigit() else 0)
            .first()
        )
    form = TeamForm(request.POST or None, org=request.org, initial=initial)
    if request.method == "POST" and form.is_valid():
        team = services.create_team(org=request.org, acting_user=request.user, **form.cleaned_data)
        messages.success(request, f"Team “{team.name}” created.")
        return redirect("orgs:teams", org_slug=request.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/team_form.html", {"form": form}, status=status)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def team_edit(request: OrgRequest, team_id: int) -> HttpResponse:
    team = access_team(request.org, team_id)
    initial = {"name": team.name, "parent": team.parent, "channel": team.channel}
    form = TeamForm(request.POST or None, org=request.org, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_team(team=team, acting_user=request.user, **form.cleaned_data)
        messages.success(request, f"Team “{team.name}” saved.")
        return redirect("orgs:team_detail", org_slug=request.org.slug, team_id=team.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/team_form.html", {"form": form, "team": team}, status=status)


@org_view(Perm.MANAGE_ORG)
@require_POST
def team_delete(request: OrgRequest, team_id: int) -> HttpResponse:
    team = access_team(request.org, team_id)
    if team.children.exists() or team.members.exists():
        messages.error(
            request,
            f"“{team.name}” still has sub-teams or members: move them to another team first.",
        )
        return redirect("orgs:team_detail", org_slug=request.org.slug, team_id=team.pk)
    services.delete_team(team=team, acting_user=request.user)
    messages.success(request, f"Team “{team.name}” deleted.")
    return redirect("orgs:teams", org_slug=request.org.slug)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def org_settings(request: OrgRequest) -> HttpResponse:
    instance = Organization.objects.get(pk=request.org.pk)  # the form mutates its instance
    form = OrgSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.update_org_settings(
            org=request.org, acting_user=request.user, values=form.cleaned_data
        )
        messages.success(request, "Settings saved.")
        return redirect("orgs:settings", org_slug=request.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/settings.html", {"form": form}, status=status)


@org_view(Perm.VIEW_AUDIT)
def audit_log(request: OrgRequest) -> HttpResponse:
    qs = AuditLog.objects.for_org(request.org).select_related("actor")
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "orgs/audit_log.html", {"page": page, "action": action})


@org_view()
def notifications(request: OrgRequest) -> HttpResponse:
    mine = Notification.objects.filter(org=request.org, user=request.user)
    if request.method == "POST":
        if "email_form" in request.POST:
            request.membership.email_notifications = request.POST.get("email") == "on"
            request.membership.save(update_fields=["email_notifications"])
            messages.success(request, "Notification settings saved.")
        else:
            mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("orgs:notifications", org_slug=request.org.slug)
    page = Paginator(mine, 30).get_page(request.GET.get("page"))
    return render(request, "orgs/notifications.html", {"page": page})


@org_view()
def api_tokens(request: OrgRequest) -> HttpResponse:
    """A member's personal API tokens for this organization; a new token is shown once."""
    tokens = ApiToken.objects.filter(membership=request.membership)
    created = None
    if request.method == "POST":
        if revoke_id := request.POST.get("revoke"):
            token = tokens.filter(pk=revoke_id if revoke_id.isdigit() else 0).first()
            if token is None:
                raise Http404("No such token")
            revoke_token(api_token=token, acting_user=request.user)
            messages.success(request, f"Token “{token.name}” revoked.")
            return redirect("orgs:api_tokens", org_slug=request.org.slug)
        name = request.POST.get("name", "").strip()
        if not name or len(name) > 100:
            messages.error(
                request, "Give the token a name of up to 100 characters (e.g. “CRM sync”)."
            )
        else:
            _, created = create_token(membership=request.membership, name=name)
    context = {"tokens": tokens.filter(revoked_at__isnull=True), "created": created}
    return render(request, "orgs/api_tokens.html", context)
