from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lockstep.accounts"
    label = "accounts"
