from django.apps import AppConfig


class RostersConfig(AppConfig):
    name = "huzhu.rosters"
    label = "rosters"
