from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "huzhu.org"
    label = "org"
