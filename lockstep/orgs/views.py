"""Organization pages: members, invitations, teams, settings, audit log, notifications,
API tokens; the organization picker and invitation acceptance outside /o/<slug>/."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lockstep.accounts import two_factor
from lockstep.accounts.forms import AcceptInvitationForm
from lockstep.accounts.middleware import mark_login
from lockstep.accounts.models import ApiToken, User
from lockstep.accounts.services import create_token, revoke_token
from lockstep.core.errors import Conflict, DomainError, domain_error_response, is_htmx
from lockstep.core.models import AuditLog, Notification
from lockstep.core.params import posted_id, posted_text
from lockstep.core.permissions import Perm, Role, can
from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.orgs import notify, services
from lockstep.orgs.access import access_invitation, access_membership, access_team
from lockstep.orgs.forms import (
    ApiTokenForm,
    InviteForm,
    MembershipForm,
    OrgSettingsForm,
    TeamForm,
)
from lockstep.orgs.models import Invitation, Membership, Organization, Team
from lockstep.orgs.selectors import (
    member_search,
    reps_in_teams,
    team_rows,
    team_scope,
    with_descendants,
)


@login_required
def pick_org(request: HttpRequest) -> HttpResponse:
    """Send a person to the organization they used last, or let them pick one."""
    memberships = list(
        Membership.objects.filter(user=cast(User, request.user))
        .select_related("org")
        .order_by("org__name")
    )
    last = request.session.get("last_org")
    for membership in memberships:
        if membership.org.slug == last:
            return redirect("insights:home", org_slug=last)
    if len(memberships) == 1:
        return redirect("insights:home", org_slug=memberships[0].org.slug)
    return render(request, "orgs/pick_org.html", {"memberships": memberships})


@org_view(Perm.VIEW_MEMBERS)
@require_GET
def members(request: OrgRequest) -> HttpResponse:
    org = request.org
    qs = (
        Membership.objects.for_org(org).select_related("user", "team").prefetch_related("led_teams")
    )
    scope = team_scope(request.membership)
    if scope is not None:
        leading = Membership.objects.filter(led_teams__in=scope).values("pk")
        qs = qs.filter(Q(team_id__in=scope) | Q(pk__in=leading))
    role = request.GET.get("role", "")
    if role in Role.values:
        qs = qs.filter(role=role)
    query = posted_text(request.GET.get("q"), 100)
    if query:
        qs = qs.filter(member_search(query))
    page = Paginator(
        qs.order_by("user__last_name", "user__first_name", "user__email"), 50
    ).get_page(request.GET.get("page"))
    invitations: list[Invitation] = []
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
    if is_htmx(request):
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
    invitation = access_invitation(request.membership, invitation_id)
    if not invitation.is_pending:
        raise Conflict(f"That invitation is already {invitation.status()}.")
    services.revoke_invitation(invitation=invitation, acting_user=request.user)
    messages.success(request, f"Invitation for {invitation.email} revoked.")
    return redirect("orgs:members", org_slug=request.org.slug)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def member_edit(request: OrgRequest, membership_id: int) -> HttpResponse:
    membership = access_membership(request.membership, membership_id)
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
    membership = access_membership(request.membership, membership_id)
    services.remove_membership(membership=membership, acting_user=request.user)
    messages.success(request, f"{membership.user} no longer belongs to {request.org.name}.")
    if membership.user_id == request.user.pk:
        return redirect("home")
    return redirect("orgs:members", org_slug=request.org.slug)


MEMBER_SECURITY_ACTIONS = {
    "end_sessions": "{user} is logged out everywhere.",
    "revoke_tokens": "{tokens} of {user} revoked.",
    "reset_two_factor": "{user}'s two-factor log-in is removed; they set it up again.",
}


@org_view(Perm.MANAGE_ORG)
@require_POST
def member_security(request: OrgRequest, membership_id: int) -> HttpResponse:
    """An owner ends a member's sessions, revokes their API tokens here, or removes their
    second factor (audited)."""
    membership = access_membership(request.membership, membership_id)
    action = request.POST.get("action", "")
    if action not in MEMBER_SECURITY_ACTIONS:
        raise Conflict("Choose what to do: end sessions, revoke tokens or reset two-factor.")
    count = 0
    if action == "end_sessions":
        services.end_member_sessions(membership=membership, acting_user=request.user)
    elif action == "revoke_tokens":
        count = services.revoke_member_tokens(membership=membership, acting_user=request.user)
    else:
        services.reset_member_two_factor(membership=membership, acting_user=request.user)
    messages.success(
        request,
        MEMBER_SECURITY_ACTIONS[action].format(
            user=membership.user, tokens=counted(count, "API token", "API tokens")
        ),
    )
    if membership.user_id == request.user.pk and action != "revoke_tokens":
        return redirect("accounts:login")
    return redirect("orgs:member_edit", org_slug=request.org.slug, membership_id=membership.pk)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def security(request: OrgRequest) -> HttpResponse:
    """Two-factor policy, and who of the owners and marketers uses it."""
    if request.method == "POST":
        required = request.POST.get("require_two_factor") == "on"
        services.set_two_factor_requirement(
            org=request.org, acting_user=request.user, required=required
        )
        messages.success(request, "Security settings saved.")
        return redirect("orgs:security", org_slug=request.org.slug)
    people = (
        Membership.objects.for_org(request.org)
        .filter(role__in=two_factor.ROLES_THAT_CAN_BE_REQUIRED)
        .select_related("user")
        .order_by("user__last_name", "user__email")
    )
    with_two_factor = two_factor.users_with_two_factor([m.user_id for m in people])
    rows = [(m, m.user_id in with_two_factor) for m in people]
    return render(request, "orgs/security.html", {"rows": rows})


@org_view(Perm.VIEW_TEAMS)
@require_GET
def teams(request: OrgRequest) -> HttpResponse:
    rows = team_rows(request.org, only=team_scope(request.membership))
    return render(request, "orgs/teams.html", {"rows": rows})


@org_view(Perm.VIEW_TEAMS)
@require_GET
def team_detail(request: OrgRequest, team_id: int) -> HttpResponse:
    team = access_team(request.membership, team_id)
    ids = with_descendants(request.org, [team.pk])
    reps = (
        reps_in_teams(request.org, ids)
        .select_related("user", "team")
        .order_by("team__name", "user__last_name")
    )
    context = {
        "team": team,
        "rows": team_rows(request.org, only=ids - {team.pk}),
        "reps": reps,
        "leaders": team.leaders.select_related("user"),
    }
    return render(request, "orgs/team_detail.html", context)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def team_create(request: OrgRequest) -> HttpResponse:
    initial = {}
    if parent_id := posted_id(request.GET.get("parent")):
        initial["parent"] = Team.objects.for_org(request.org).filter(pk=parent_id).first()
    form = TeamForm(request.POST or None, org=request.org, initial=initial)
    if request.method == "POST" and form.is_valid():
        team = services.create_team(
            org=request.org, acting_user=request.user, **form.basics(), clock=form.clock()
        )
        messages.success(request, f"Team “{team.name}” created.")
        return redirect("orgs:teams", org_slug=request.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/team_form.html", {"form": form}, status=status)


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def team_edit(request: OrgRequest, team_id: int) -> HttpResponse:
    team = access_team(request.membership, team_id)
    initial = {
        "name": team.name,
        "parent": team.parent,
        "channel": team.channel,
        "time_zone": team.time_zone,
        "business_day_start": team.business_day_start,
        "business_day_end": team.business_day_end,
        "business_days": team.business_days or [],
    }
    form = TeamForm(request.POST or None, org=request.org, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_team(
            team=team, acting_user=request.user, **form.basics(), clock=form.clock()
        )
        messages.success(request, f"Team “{team.name}” saved.")
        return redirect("orgs:team_detail", org_slug=request.org.slug, team_id=team.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/team_form.html", {"form": form, "team": team}, status=status)


@org_view(Perm.MANAGE_ORG)
@require_POST
def team_delete(request: OrgRequest, team_id: int) -> HttpResponse:
    team = access_team(request.membership, team_id)
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
@require_GET
def audit_log(request: OrgRequest) -> HttpResponse:
    qs = AuditLog.objects.for_org(request.org).select_related("actor")
    action = posted_text(request.GET.get("action"), 60)
    if action:
        qs = qs.filter(action__startswith=action)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "orgs/audit_log.html", {"page": page, "action": action})


@org_view(Perm.VIEW_ORG)
@require_http_methods(["GET", "POST"])
def notifications(request: OrgRequest) -> HttpResponse:
    if request.method == "POST":
        if "email_form" in request.POST:
            services.set_email_notifications(
                membership=request.membership, enabled=request.POST.get("email") == "on"
            )
            wanted = set(request.POST.getlist("kinds"))
            for kind in notify.MAIL_KINDS:
                services.set_email_kind(
                    membership=request.membership, kind=kind, enabled=kind in wanted
                )
            messages.success(request, "Notification settings saved.")
        else:
            notify.mark_all_read(org=request.org, user=request.user)
        return redirect("orgs:notifications", org_slug=request.org.slug)
    mine = Notification.objects.for_org(request.org).filter(user=request.user)
    page = Paginator(mine, 30).get_page(request.GET.get("page"))
    kinds = [
        (kind, label, kind not in request.membership.email_off)
        for kind, label in notify.MAIL_KINDS.items()
    ]
    return render(request, "orgs/notifications.html", {"page": page, "mail_kinds": kinds})


@org_view(Perm.USE_API)
@require_http_methods(["GET", "POST"])
def api_tokens(request: OrgRequest) -> HttpResponse:
    """A member's personal API tokens for this organization; a new token is shown once."""
    tokens = ApiToken.objects.filter(membership=request.membership)
    created = None
    form = ApiTokenForm()
    if request.method == "POST":
        if "revoke" in request.POST:
            token = tokens.filter(
                pk=posted_id(request.POST.get("revoke")), revoked_at__isnull=True
            ).first()
            if token is None:
                raise Conflict("That token does not exist or is already revoked.")
            revoke_token(api_token=token, acting_user=request.user)
            messages.success(request, f"Token “{token.name}” revoked.")
            return redirect("orgs:api_tokens", org_slug=request.org.slug)
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            _, created = create_token(
                membership=request.membership,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
            form = ApiTokenForm()
    active = [t for t in tokens.filter(revoked_at__isnull=True) if t.is_active()]
    context = {
        "tokens": active,
        "created": created,
        "form": form,
        "rate_per_minute": settings.API_RATE_PER_MINUTE,
    }
    return render(request, "orgs/api_tokens.html", context, status=400 if form.errors else 200)


@csrf_exempt  # the signed token is the credential; mail clients POST it bare (RFC 8058)
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """An e-mail's unsubscribe link, without logging in. GET asks to confirm (link scanners
    only GET); POST turns that kind of e-mail off — from the page's button or a mail
    client's one-click `List-Unsubscribe=One-Click` — and `on=1` turns it back on."""
    target = notify.unsubscribe_target(token)
    if target is None:
        return render(request, "orgs/email_unsubscribe.html", {"invalid": True}, status=404)
    membership, kind = target
    context = {"membership": membership, "what": notify.MAIL_KINDS[kind]}
    if request.method == "POST":
        enabled = request.POST.get("on") == "1"
        services.set_email_kind(membership=membership, kind=kind, enabled=enabled, via="link")
        return render(
            request, "orgs/email_unsubscribe.html", {**context, "done": True, "on": enabled}
        )
    return render(request, "orgs/email_unsubscribe.html", context)


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Join an organization from an invitation link. A new person sets a password here; a
    person who already has an account must be logged in as that account to join."""
    invitation = services.find_pending_invitation(token)
    if invitation is None:
        return render(request, "orgs/invitation_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        if not request.user.is_authenticated:
            messages.info(request, f"Log in as {invitation.email} to accept the invitation.")
            return redirect(reverse("accounts:login") + f"?next={request.path}")
        if request.user.pk != existing.pk:
            messages.error(
                request,
                f"This invitation is for {invitation.email}. Log out, then open the link again.",
            )
            return redirect("home")
        if request.method == "POST":
            try:
                services.accept_invitation(invitation=invitation, user=existing)
            except DomainError as exc:  # the same link clicked twice at once
                return domain_error_response(request, exc)
            messages.success(request, f"You joined {invitation.org.name}.")
            return redirect("insights:home", org_slug=invitation.org.slug)
        join = {"invitation": invitation, "existing": existing}
        return render(request, "orgs/invitation_join.html", join)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.accept_invitation(
                invitation=invitation,
                user=None,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as exc:  # the same link submitted twice at once
            return domain_error_response(request, exc)
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        mark_login(request)
        messages.success(request, f"Welcome to {invitation.org.name}.")
        return redirect("insights:home", org_slug=invitation.org.slug)
    context = {"invitation": invitation, "form": form}
    return render(
        request, "orgs/invitation_accept.html", context, status=400 if form.errors else 200
    )
