from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lockstep.core"
    label = "core"
    verbose_name = "Lockstep core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from lockstep.core import snapshots

        connection_created.connect(snapshots.watch, dispatch_uid="lockstep-data-version")
