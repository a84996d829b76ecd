from django.urls import path

from lockstep.results import import_views, views

app_name = "results"

urlpatterns = [
    path("leads/", views.my_leads, name="my_leads"),
    path("leads/reject/", views.reject, name="reject"),
    path("leads/unmatched/", views.unmatched, name="unmatched"),
    path("leads/<int:lead_id>/touch/", views.touch, name="touch"),
    path("leads/<int:lead_id>/accept/", views.accept, name="accept"),
    path("leads/<int:lead_id>/reassign/", views.reassign, name="reassign"),
    path("programs/<int:program_id>/results/", views.program_results, name="program"),
    path("programs/<int:program_id>/results/sla/", views.program_sla, name="program_sla"),
    path("settings/rejection-reasons/", views.rejection_reasons, name="reasons"),
    path("imports/", import_views.new_import, name="import_new"),
    path("imports/<int:job_id>/map/", import_views.map_columns, name="import_map"),
    path("imports/<int:job_id>/", import_views.job_status, name="import_job"),
    path("imports/<int:job_id>/errors.csv", import_views.error_report, name="import_errors"),
]
