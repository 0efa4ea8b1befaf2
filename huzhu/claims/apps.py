from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "huzhu.claims"
    label = "claims"
