from django.urls import path

from lockstep.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.webhooks, name="webhooks"),
]
