from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "lockstep.results"
    label = "results"
