from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PolicyConfig(AppConfig):
    name = "huzhu.policy"
    label = "policy"

    def ready(self) -> None:
        post_migrate.connect(load_shipped_policies, sender=self)


def load_shipped_policies(sender, using="default", **kwargs):
    """After `huzhu migrate` the shipped policy files are in the database, no other step."""
    from huzhu.policy.services import sync_shipped_policies

    sync_shipped_policies(using=using)
