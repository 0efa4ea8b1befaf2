from django.apps import AppConfig


class HuzhuConfig(AppConfig):
    name = "huzhu"
    verbose_name = "huzhu"
