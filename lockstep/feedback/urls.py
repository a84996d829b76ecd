from django.urls import path

from lockstep.feedback import views

app_name = "feedback"

urlpatterns = [
    path("pulse/", views.pulse_results, name="pulse"),
    path("pulse/answer/", views.pulse_answer, name="pulse_answer"),
    path("pulse/settings/", views.pulse_settings, name="pulse_settings"),
    path("questions/", views.inbox, name="inbox"),
    path("questions/<int:question_id>/answer/", views.answer, name="answer"),
    path("questions/<int:question_id>/faq/", views.faq, name="faq"),
]
