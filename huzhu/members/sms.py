"""Sending text messages (SPEC C5, S4) through a pluggable sender.

A sender is any class with `send(phone: str, text: str) -> None`, named by the setting
`HUZHU_SMS_SENDER`. The default writes messages to the log, which is where an operator
finds one-time codes until a real gateway is configured.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from huzhu.members.rules import mask_phone

logger = logging.getLogger("huzhu.sms")


class LoggingSender:
    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text)


class OutboxSender:
    """Keeps messages in memory, for tests."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        OutboxSender.outbox.append((phone, text))


def send_sms(phone: str, text: str) -> None:
    import_string(settings.HUZHU_SMS_SENDER)().send(phone, text)
