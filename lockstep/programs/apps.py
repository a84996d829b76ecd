from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "lockstep.programs"
    label = "programs"
