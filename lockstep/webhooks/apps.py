from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: a reader of the activity-event table, on the API's floor."""

    name = "lockstep.webhooks"
    label = "webhooks"
