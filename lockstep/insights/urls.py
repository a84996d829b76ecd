from django.urls import path

from lockstep.insights import views

app_name = "insights"

urlpatterns = [
    path("funnel/", views.program_funnel, name="funnel"),
    path("funnel/teams/<int:team_id>/", views.team_drilldown, name="team"),
]
