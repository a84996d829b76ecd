from django.urls import path

from lockstep.ops import privacy_views

app_name = "privacy"

urlpatterns = [
    path("members/<int:membership_id>/export.json", privacy_views.export, name="export"),
    path("members/<int:membership_id>/erase/", privacy_views.erase, name="erase"),
]
