from django.urls import path

from lockstep.briefs import views

app_name = "briefs"

urlpatterns = [
    path("brief/", views.brief, name="brief"),
    path("brief/ack/", views.brief_acknowledge, name="brief_ack"),
    path("brief/ask/", views.brief_ask, name="brief_ask"),
    path("brief/sessions/<int:item_id>/calendar.ics", views.session_ics, name="session_ics"),
]
