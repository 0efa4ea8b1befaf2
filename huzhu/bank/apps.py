from django.apps import AppConfig


class BankConfig(AppConfig):
    name = "huzhu.bank"
    label = "bank"
