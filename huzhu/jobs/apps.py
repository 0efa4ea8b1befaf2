from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "huzhu.jobs"
    label = "jobs"
