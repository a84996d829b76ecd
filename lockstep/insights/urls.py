from django.urls import path

from lockstep.insights import views

app_name = "insights"

P = "programs/<int:program_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path(P + "funnel/", views.program_funnel, name="funnel"),
    path(P + "funnel/teams/<int:team_id>/", views.team_drilldown, name="team"),
]
