from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "huzhu.files"
    label = "files"
