from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from lockstep.accounts.forms import AcceptInvitationForm
from lockstep.accounts.models import User
from lockstep.orgs import services


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.find_pending_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        if request.user.is_authenticated and request.user.pk != existing.pk:
            messages.error(
                request,
                f"This invitation is for {invitation.email}. Log out, then open the link again.",
            )
            return redirect("home")
        if request.method == "POST":
            services.accept_invitation(invitation=invitation, user=existing)
            messages.success(request, f"You joined {invitation.org.name}.")
            if request.user.is_authenticated:
                return redirect("orgs:home", org_slug=invitation.org.slug)
            return redirect(reverse("accounts:login") + f"?next=/o/{invitation.org.slug}/")
        return render(
            request,
            "accounts/invitation_join.html",
            {"invitation": invitation, "existing": existing},
        )
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        membership = services.accept_invitation(
            invitation=invitation,
            user=None,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            password=form.cleaned_data["password1"],
        )
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {invitation.org.name}.")
        return redirect("orgs:home", org_slug=invitation.org.slug)
    return render(
        request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form}
    )
