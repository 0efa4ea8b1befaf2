"""What every upload of a file goes through before its content is read: the size limit
(SPEC S5) and, when it is refused for any reason, an audit row saying why (SPEC S3)."""

from django.conf import settings
from django.utils.translation import gettext as _

from huzhu.accounts.types import Actor
from huzhu.audit.actions import Action
from huzhu.audit.services import record_event
from huzhu.tabular import quote


def size_error(size: int, limit: int | None = None) -> str | None:
    limit = limit or settings.HUZHU_UPLOAD_MAX_BYTES
    if size > limit:
        # The page adds that nothing was imported, after this and every other refusal.
        return _("The file is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)}
    return None


def record_rejected_upload(
    *, actor: Actor, kind: str, name: str, size: int, reasons: list[str], request=None
) -> None:
    """One audit row for a refused upload: who, which file, how large, and why (the first
    reasons, each cut short: a hostile file must not fill the log)."""
    reason = "；".join(quote(r, 200) for r in reasons[:5])
    if len(reasons) > 5:
        reason += _("; and %(count)s more.") % {"count": len(reasons) - 5}
    record_event(
        action=Action.UPLOAD_REJECTED,
        actor=actor,
        request=request,
        unit_path=actor.unit_path if actor is not None else "",
        summary=f"{quote(name, 100)}: {reason}",
        data={"kind": kind, "name": quote(name, 200), "size": size, "reason": reason},
    )
