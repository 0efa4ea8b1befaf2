from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "huzhu.console"
    label = "console"
