from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "lockstep.insights"
    label = "insights"
