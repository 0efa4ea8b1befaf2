"""Reads of policy versions; the parsed form is cached per version (it never changes)."""

import dataclasses
import functools

from django.shortcuts import get_object_or_404

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


def _latest_versions() -> tuple[tuple[int, int, str], ...]:
    """(year, id, sha256) of the latest version of every year, by year: three short
    columns, the documents stay in the database once parsed."""
    latest: dict[int, tuple[int, int, str]] = {}
    rows = PolicyVersion.objects.order_by("year", "version").values_list("year", "pk", "sha256")
    for year, pk, sha256 in rows:
        latest[year] = (year, pk, sha256)
    return tuple(latest.values())


@functools.lru_cache(maxsize=16)
def _policies(latest: tuple[tuple[int, int, str], ...]) -> dict[int, Policy]:
    return {year: _parsed(pk, sha256) for year, pk, sha256 in latest}


def current_policies() -> dict[int, Policy]:
    """The latest version of every year, parsed: what the calculator runs on. One small
    query per call; the parsed set is kept per process under the versions' ids and hashes,
    so a version stored by another process is used from its next call on."""
    return dict(_policies(_latest_versions()))


# The policies are public documents (the portal shows them to anyone): these reads have no
# scope to apply, and say so by taking no user.


def policy_versions() -> list[PolicyVersion]:
    """Every stored version, newest first."""
    return list(PolicyVersion.objects.order_by("-year", "-version"))


def policy_version(*, pk: int | str) -> PolicyVersion:
    """One version, or 404."""
    return get_object_or_404(PolicyVersion, pk=pk)
