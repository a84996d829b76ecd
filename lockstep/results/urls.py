from django.urls import path

from lockstep.results import views

app_name = "results"

urlpatterns = [
    path("leads/", views.my_leads, name="my_leads"),
    path("leads/reject/", views.reject, name="reject"),
    path("leads/unmatched/", views.unmatched, name="unmatched"),
    path("leads/<int:lead_id>/touch/", views.touch, name="touch"),
    path("leads/<int:lead_id>/accept/", views.accept, name="accept"),
    path("leads/<int:lead_id>/reassign/", views.reassign, name="reassign"),
    path("programs/<int:program_id>/results/", views.program_results, name="program"),
]
