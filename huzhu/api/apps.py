from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "huzhu.api"
    label = "api"
