"""Encryption at rest and keyed lookup hashes for ID, phone and card numbers (SPEC S2).

Values are stored Fernet-encrypted (AES-128-CBC + HMAC) and found by an HMAC-SHA256 of
the normalised value, so the database alone reveals neither.
"""

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet
from django.conf import settings


@functools.cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt(value: str) -> str:
    return _fernet(settings.HUZHU_FIELD_KEY).encrypt(value.encode()).decode()


def decrypt(token: str, *, key: str | None = None) -> str:
    """`key`: another field key than the configured one (checking a backup's keys)."""
    return _fernet(key or settings.HUZHU_FIELD_KEY).decrypt(token.encode()).decode()


def lookup_hash(kind: str, value: str, *, key: str | None = None) -> str:
    """A keyed hash; `kind` keeps an ID number and a card with the same digits apart."""
    message = f"{kind}:{value}".encode()
    secret = (key or settings.HUZHU_LOOKUP_KEY).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
