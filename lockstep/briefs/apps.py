from django.apps import AppConfig


class BriefsConfig(AppConfig):
    """The rep's side: the brief and the rep's home, assembled from every domain below."""

    name = "lockstep.briefs"
    label = "briefs"
