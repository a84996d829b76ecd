"""The URL map. Each app owns its routes; this file only mounts them (and may import views
of any app, being above them all)."""

from django.conf import settings
from django.urls import include, path

from lockstep.api.urls import api
from lockstep.api.urls import not_found as api_not_found
from lockstep.insights import digest_views
from lockstep.ops import health
from lockstep.ops import views as ops_views
from lockstep.orgs import views as orgs_views

ORG = "o/<slug:org_slug>/"
PROGRAM = ORG + "programs/<int:program_id>/"

urlpatterns = [
    path("", orgs_views.pick_org, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("api/v1/<path:rest>", api_not_found),  # unknown API paths: a problem, not a page
    path("accounts/", include("lockstep.accounts.urls")),
    path(
        "accounts/invitation/<str:token>/",
        orgs_views.accept_invitation,
        name="accept_invitation",
    ),
    path("digest/unsubscribe/<str:token>/", digest_views.unsubscribe, name="digest_unsubscribe"),
    path("email/unsubscribe/<str:token>/", orgs_views.email_unsubscribe, name="email_unsubscribe"),
    path(ORG, include("lockstep.insights.urls")),
    path(ORG, include("lockstep.orgs.urls")),
    path(ORG + "programs/", include("lockstep.programs.urls")),
    path(PROGRAM, include("lockstep.briefs.urls")),
    path(PROGRAM, include("lockstep.enablement.urls")),
    path(PROGRAM, include("lockstep.feedback.urls")),
    path(ORG, include("lockstep.results.urls")),
    path(ORG, include("lockstep.webhooks.urls")),
    path(ORG, include("lockstep.ops.privacy_urls")),
]

# The bench's yardstick (`lockstep bench run` serves it with LOCKSTEP_BENCH=1, never otherwise):
# the base layout for the signed-in member, to compare each page's throughput with.
BENCH_PATTERNS = [path(ORG + "bench/base/", ops_views.bench_base, name="bench_base")]
if settings.BENCH:
    urlpatterns += BENCH_PATTERNS

handler400 = "lockstep.core.errors.bad_request"  # 413 for a body over the limit
handler500 = "lockstep.core.views.server_error"
