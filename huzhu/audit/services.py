"""Writing the audit log. Called inside the transaction of the change it records."""

import functools
import ipaddress
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from huzhu.accounts.types import Actor
from huzhu.audit.models import AuditEvent

if TYPE_CHECKING:
    from huzhu.members.models import Member

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in configured)


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks) -> bool:
    return any(address in network for network in networks)


def forwarded_client(remote: str, header: str, networks: tuple[Network, ...]) -> str:
    """The nearest address in a proxy header that is not one of our proxies.

    The header reads `client, proxy1, proxy2`, each proxy appending the address it saw, so
    only the right end is written by proxies we trust: walk it from the right and stop at
    the first address that is not a trusted proxy. Anything further left came from the
    client and may be forged.
    """
    found = remote
    for hop in reversed(header.split(",")):
        try:
            address = ipaddress.ip_address(hop.strip())
        except ValueError:
            break
        found = str(address)
        if not _trusted(address, networks):
            break
    return found


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the address it saw
    (settings HUZHU_TRUSTED_PROXIES and HUZHU_PROXY_HEADER, SPEC §13). Every caller — the
    audit log, sign-in lockout, rate limits — goes through here."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(settings.HUZHU_TRUSTED_PROXIES))
    if remote is None or not networks:
        return remote
    try:
        if not _trusted(ipaddress.ip_address(remote), networks):
            return remote
    except ValueError:
        return remote
    meta_key = "HTTP_" + settings.HUZHU_PROXY_HEADER.upper().replace("-", "_")
    return forwarded_client(remote, request.META.get(meta_key, ""), networks)


def record_event(
    *,
    action: str,
    actor: Actor = None,
    member: "Member | None" = None,
    target: models.Model | None = None,
    unit_path: str = "",
    summary: str = "",
    request=None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row. `actor` is a staff user or None for the system."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        label = actor.get_username()
        user = actor
    else:
        label = ""
        user = None
    if member is not None:
        label = label or f"member:{member.pk}"
    if not unit_path and target is not None:
        unit_path = getattr(target, "unit_path", "") or ""
    return AuditEvent.objects.create(
        actor_user=user,
        actor_member=member,
        actor_label=label or "system",
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        unit_path=unit_path,
        summary=summary[:500],
        ip=client_ip(request),
        data=data or {},
    )
