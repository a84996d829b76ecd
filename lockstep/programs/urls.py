from django.urls import path

from lockstep.programs import views

app_name = "programs"

P = "<int:program_id>/"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("new/", views.program_create, name="create"),
    path("calendar/", views.launch_calendar, name="calendar"),
    path(P, views.program_detail, name="detail"),
    path(P + "edit/", views.program_edit, name="edit"),
    path(P + "archive/", views.program_archive, name="archive"),
    path(P + "transition/", views.program_transition, name="transition"),
    path(P + "activities/", views.activity_add, name="activity_add"),
    path(P + "wiifm/", views.wiifm_save, name="wiifm"),
    path(P + "assets/", views.asset_add, name="asset_add"),
    path(P + "assets/<int:item_id>/open/", views.asset_open, name="asset_open"),
    path(P + "targets/", views.target_add, name="target_add"),
    path(P + "targets/audience/", views.targets_for_audience, name="targets_for_audience"),
    path(P + "targets/<int:item_id>/respond/", views.target_respond, name="target_respond"),
    path(P + "training/", views.training_add, name="training_add"),
    path(P + "training/<int:item_id>/edit/", views.training_edit, name="training_edit"),
    path(P + "check/", views.check_save, name="check"),
    path(P + "check/questions/", views.check_questions, name="check_questions"),
    path(
        P + "check/questions/<int:question_id>/delete/",
        views.check_question_delete,
        name="check_question_delete",
    ),
    path(P + "champions/", views.champion_add, name="champion_add"),
    path(P + "champions/audience/", views.champions_for_audience, name="champions_for_audience"),
    path(P + "endorse/", views.endorse, name="endorse"),
    path(P + "feedback/", views.feedback_add, name="feedback_add"),
    path(P + "feedback/<int:item_id>/respond/", views.feedback_respond, name="feedback_respond"),
    path(P + "<str:kind>/<int:item_id>/delete/", views.child_delete, name="child_delete"),
]
