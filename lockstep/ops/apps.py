from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The top floor: what orchestrates every domain (demo loader, commands, scheduler)."""

    name = "lockstep.ops"
    label = "ops"
    verbose_name = "Lockstep operations"
