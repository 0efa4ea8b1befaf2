from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "huzhu.audit"
    label = "audit"

    def ready(self) -> None:
        from huzhu.audit import signals  # noqa: F401
