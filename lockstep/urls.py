from django.urls import include, path

from lockstep.api.urls import api
from lockstep.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("accounts/", include("lockstep.accounts.urls")),
    path("o/<slug:org_slug>/", include("lockstep.orgs.urls")),
    path("o/<slug:org_slug>/programs/", include("lockstep.programs.urls")),
    path("o/<slug:org_slug>/programs/<int:program_id>/", include("lockstep.enablement.urls")),
    path("o/<slug:org_slug>/programs/<int:program_id>/", include("lockstep.feedback.urls")),
    path("o/<slug:org_slug>/programs/<int:program_id>/", include("lockstep.insights.urls")),
    path("o/<slug:org_slug>/", include("lockstep.results.urls")),
]

handler500 = "lockstep.core.views.server_error"
