"""Telling members of their claims (SPEC C5): every change that matters to the member is
a ClaimEvent with a message, which the portal shows; the same words go by SMS through the
pluggable sender once the change is committed, at most once per event."""

import logging

from django.db import transaction
from django.utils import timezone

from huzhu.claims.models import ClaimEvent
from huzhu.members import crypto
from huzhu.members.rules import mask_phone
from huzhu.members.sms import send_sms

logger = logging.getLogger("huzhu.claims")


def after_commit(event: ClaimEvent) -> None:
    transaction.on_commit(lambda: send(event.pk))


def send(event_id: int) -> bool:
    """Send one event's SMS unless it was sent; True when sent. The event is claimed before
    sending, so a rerun never sends it twice; a failed send is logged, not retried."""
    stamp = timezone.now()
    claimed = (
        ClaimEvent.objects.filter(pk=event_id, notified_at__isnull=True)
        .exclude(message="")
        .update(notified_at=stamp)
    )
    if not claimed:
        return False
    event = ClaimEvent.objects.select_related("claim__member").get(pk=event_id)
    token = event.claim.member.phone_encrypted
    if not token:
        return False
    phone = crypto.decrypt(token)
    try:
        send_sms(phone, f"【职工医疗互助】{event.message}")
    except Exception:
        logger.exception("claim notice to %s not sent", mask_phone(phone))
        return False
    return True
