from django.urls import path

from lockstep.insights import digest_views, retro_views, scorecard_views, views

app_name = "insights"

P = "programs/<int:program_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path(P + "funnel/", views.program_funnel, name="funnel"),
    path(P + "funnel/teams/<int:team_id>/", views.team_drilldown, name="team"),
    path("reminders/", views.remind, name="remind"),
    # the program scorecard, its sections (each its own page too), opportunities, a lead
    path(P + "scorecard/", scorecard_views.program_scorecard, name="scorecard"),
    path(P + "scorecard/readiness/", scorecard_views.sc_readiness, name="sc_readiness"),
    path(P + "scorecard/speed-to-lead/", scorecard_views.sc_sla, name="sc_sla"),
    path(P + "scorecard/rejections/", scorecard_views.sc_rejections, name="sc_rejections"),
    path(P + "scorecard/kit/", scorecard_views.sc_kit, name="sc_kit"),
    path(P + "scorecard/pulse/", scorecard_views.sc_pulse, name="sc_pulse"),
    path(P + "scorecard/questions/", scorecard_views.sc_questions, name="sc_questions"),
    path(P + "scorecard/themes/", scorecard_views.sc_themes, name="sc_themes"),
    path(P + "opportunities/", scorecard_views.opportunities, name="opportunities"),
    path("leads/<int:lead_id>/", scorecard_views.lead_detail, name="lead"),
    # learning from programs (retro_views) and the weekly digest (digest_views)
    path(P + "retrospective/", retro_views.retrospective, name="retrospective"),
    path(P + "retrospective/lessons/", retro_views.retrospective_lessons, name="retro_lessons"),
    path(P + "retrospective/refresh/", retro_views.retrospective_refresh, name="retro_refresh"),
    path(P + "themes/refresh/", retro_views.themes_refresh, name="themes_refresh"),
    path("evidence/", retro_views.evidence, name="evidence"),
    path("digest/", digest_views.digest_page, name="digest"),
]
