from django.urls import path

from lockstep.enablement import views

app_name = "enablement"

urlpatterns = [
    path("training/<int:item_id>/done/", views.complete_module, name="complete"),
    path("training/<int:item_id>/attendance/", views.attendance, name="attendance"),
    path("check/take/", views.take_check, name="take"),
    path("check/attempts/<int:attempt_id>/", views.attempt_result, name="attempt"),
    path("certificate/", views.certificate, name="certificate"),
]
