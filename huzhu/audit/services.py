"""Writing the audit log. Called inside the transaction of the change it records."""

from typing import Any

from django.db import models

from huzhu.audit.models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    *,
    action: str,
    actor=None,
    member=None,
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
