from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "lockstep.feedback"
    label = "feedback"
