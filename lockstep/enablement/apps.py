from django.apps import AppConfig


class EnablementConfig(AppConfig):
    name = "lockstep.enablement"
    label = "enablement"
