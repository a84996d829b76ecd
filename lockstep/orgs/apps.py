from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "lockstep.orgs"
    label = "orgs"
