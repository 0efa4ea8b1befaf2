from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "huzhu.portal"
    label = "portal"
