"""The URL map. Each app owns its routes; this file only mounts them (and may import views
of any app, being above them all)."""

from django.urls import include, path

from lockstep.api.urls import api
from lockstep.core import views as core_views
from lockstep.orgs import views as orgs_views

ORG = "o/<slug:org_slug>/"
PROGRAM = ORG + "programs/<int:program_id>/"

urlpatterns = [
    path("", orgs_views.pick_org, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("accounts/", include("lockstep.accounts.urls")),
    path(
        "accounts/invitation/<str:token>/",
        orgs_views.accept_invitation,
        name="accept_invitation",
    ),
    path(ORG, include("lockstep.insights.urls")),
    path(ORG, include("lockstep.orgs.urls")),
    path(ORG + "programs/", include("lockstep.programs.urls")),
    path(PROGRAM, include("lockstep.briefs.urls")),
    path(PROGRAM, include("lockstep.enablement.urls")),
    path(PROGRAM, include("lockstep.feedback.urls")),
    path(ORG, include("lockstep.results.urls")),
]

handler500 = "lockstep.core.views.server_error"
