"""Reads of policy versions; the parsed form is cached per version (it never changes)."""

import dataclasses
import functools

from huzhu.policy.document import Policy, parse_policy
from huzhu.policy.models import PolicyVersion


@functools.lru_cache(maxsize=64)
def _parsed(version_id: int, sha256: str) -> Policy:
    version = PolicyVersion.objects.get(pk=version_id)
    policy = parse_policy(version.document, f"{version.source_name} v{version.version}")
    return dataclasses.replace(policy, version_id=version_id)


def parsed_policy(version: PolicyVersion) -> Policy:
    return _parsed(version.pk, version.sha256)


def current_version(year: int) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(year=year).order_by("-version").first()


def current_policies() -> dict[int, Policy]:
    """The latest version of every year, parsed: what the calculator runs on."""
    latest: dict[int, PolicyVersion] = {}
    for version in PolicyVersion.objects.order_by("year", "version"):
        latest[version.year] = version
    return {year: parsed_policy(v) for year, v in latest.items()}
