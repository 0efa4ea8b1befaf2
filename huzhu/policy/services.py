"""Loading the shipped policy files into the database as versions (SPEC P1)."""

from django.db import transaction
from django.db.models import Max

from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.policy.document import read_policy_file, shipped_policy_files
from huzhu.policy.models import PolicyVersion


def sync_shipped_policies(using: str = "default") -> list[PolicyVersion]:
    """A new version for each year whose shipped file differs from its latest version;
    nothing for the others. Run after every migrate."""
    created = []
    for path in shipped_policy_files():
        document, digest = read_policy_file(path)
        year = document["year"]
        with transaction.atomic(using=using):
            versions = PolicyVersion.objects.using(using).select_for_update().filter(year=year)
            latest = versions.order_by("-version").first()
            if latest is not None and latest.sha256 == digest:
                continue
            number = (versions.aggregate(n=Max("version"))["n"] or 0) + 1
            version = PolicyVersion.objects.using(using).create(
                year=year,
                version=number,
                document=document,
                sha256=digest,
                source_name=path.name,
            )
            record_event(
                action=Action.POLICY_LOAD,
                target=version,
                summary=f"{year} v{number} {path.name}",
                data={"sha256": digest},
            )
        created.append(version)
    return created
