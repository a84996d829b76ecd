from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lockstep.core"
    label = "core"
    verbose_name = "Lockstep core"
