"""Encryption at rest and keyed lookup hashes for ID, phone and card numbers (SPEC S2).

New values are stored AES-256-GCM encrypted as `g1.<key id>.<base64url(nonce + ciphertext
+ tag)>`; values written before that are Fernet tokens (`gAAAAA…`) and stay readable. Both
are found by an HMAC-SHA256 of the normalised value, so the database alone reveals neither.

Keys: the AES key is derived (HKDF-SHA256) from the field key in `<data>/keys/field_key`
(or HUZHU_FIELD_KEY), so the same key folder opens everything and no new key file exists.
The key ring is that current key, used for writing, plus the retired field keys
(`keys/retired_field_keys`, one a line, or HUZHU_RETIRED_FIELD_KEYS), used for reading; the
key id in each ciphertext says which key opens it.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

FORMAT = "g1"
FERNET_PREFIX = "gAAAAA"  # version byte 0x80 and a timestamp's high zero bytes
NONCE_BYTES = 12
TAG_BYTES = 16
_AES_INFO = b"huzhu field encryption g1 aes-256-gcm"
_KEY_ID_INFO = b"huzhu field encryption g1 key id"


class DecryptError(ValueError):
    """A stored ciphertext that the known keys cannot open: damaged, altered, or written
    with a key not in the key ring. Never a wrong plaintext."""


def _derive(field_key: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        field_key.encode()
    )


def key_id(field_key: str) -> str:
    """Eight hex digits naming `field_key` inside its ciphertexts (derived, so a restored
    key folder gives the same ids)."""
    return _derive(field_key, _KEY_ID_INFO).hex()[:8]


@dataclass(frozen=True)
class KeyRing:
    current: str  # the key id new values are written with
    ciphers: dict[str, AESGCM]
    fernet: MultiFernet | None  # the keys that are Fernet keys, for tokens written before g1

    def encrypt(self, value: str) -> str:
        return self.encrypt_many((value,))[0]

    def encrypt_many(self, values: Iterable[str]) -> list[str]:
        """`g1.<key id>.<base64url(nonce + ciphertext + tag)>` with the current key, a fresh
        random nonce each; the header is authenticated too (associated data)."""
        header = f"{FORMAT}.{self.current}"
        prefix, associated = header + ".", header.encode()
        seal = self.ciphers[self.current].encrypt
        urandom, b64 = os.urandom, base64.urlsafe_b64encode
        tokens = []
        for value in values:  # locals only: this loop runs 300,000 times in a roster import
            nonce = urandom(NONCE_BYTES)
            tokens.append(prefix + b64(nonce + seal(nonce, value.encode(), associated)).decode())
        return tokens

    def decrypt(self, token: str) -> str:
        if token.startswith(FORMAT + "."):
            return self._open_g1(token)
        if token.startswith(FERNET_PREFIX):
            if self.fernet is None:
                raise DecryptError("Fernet token, but no Fernet key in the key ring")
            try:
                return self.fernet.decrypt(token.encode()).decode()
            except InvalidToken:
                raise DecryptError("Fernet token damaged or written with another key") from None
        raise DecryptError("not a field ciphertext (neither g1 nor Fernet)")

    def _open_g1(self, token: str) -> str:
        parts = token.split(".")
        if len(parts) != 3:
            raise DecryptError("g1 ciphertext malformed")
        _, kid, body = parts
        cipher = self.ciphers.get(kid)
        if cipher is None:
            raise DecryptError(f"no key with id {kid!r} in the key ring")
        try:
            raw = base64.b64decode(body, altchars=b"-_", validate=True)
        except binascii.Error:
            raise DecryptError("g1 ciphertext is not base64url") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptError("g1 ciphertext truncated")
        try:
            clear = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], f"{FORMAT}.{kid}".encode())
        except InvalidTag:
            raise DecryptError("g1 ciphertext damaged or altered") from None
        return clear.decode()


@functools.cache
def key_ring(current: str, retired: tuple[str, ...] = ()) -> KeyRing:
    """The ring writing with `current` and reading with `current` and `retired`."""
    ciphers: dict[str, AESGCM] = {}
    known: dict[str, str] = {}
    fernets = []
    for field_key in (current, *retired):
        kid = key_id(field_key)
        if kid in known:
            if known[kid] != field_key:
                raise ValueError(f"two field keys share the key id {kid}: replace one")
            continue  # the same key listed twice
        known[kid] = field_key
        ciphers[kid] = AESGCM(_derive(field_key, _AES_INFO))
        try:
            fernets.append(Fernet(field_key.encode()))
        except ValueError:
            pass  # a key given in the environment need not be a Fernet key
    return KeyRing(key_id(current), ciphers, MultiFernet(fernets) if fernets else None)


def configured_ring() -> KeyRing:
    return key_ring(settings.HUZHU_FIELD_KEY, tuple(settings.HUZHU_RETIRED_FIELD_KEYS))


def encrypt(value: str) -> str:
    return configured_ring().encrypt(value)


def encrypt_many(values: Iterable[str]) -> list[str]:
    """`encrypt` for bulk paths (imports): one key lookup for all the values."""
    return configured_ring().encrypt_many(values)


def decrypt(token: str, *, key: str | None = None, retired: Sequence[str] = ()) -> str:
    """`key` (and `retired`): other field keys than the configured ones (checking a backup's
    keys). Raises DecryptError when no known key opens `token`."""
    ring = key_ring(key, tuple(retired)) if key else configured_ring()
    return ring.decrypt(token)


def decrypt_many(tokens: Iterable[str]) -> list[str]:
    """`decrypt` for bulk paths (a deduction's bank file): one key lookup for all."""
    ring = configured_ring()
    return [ring.decrypt(token) for token in tokens]


def lookup_hash(kind: str, value: str, *, key: str | None = None) -> str:
    """A keyed hash; `kind` keeps an ID number and a card with the same digits apart."""
    return lookup_hasher(kind, key=key)(value)


def lookup_hasher(kind: str, *, key: str | None = None) -> Callable[[str], str]:
    """`lookup_hash(kind, value)` for many values: the HMAC keyed and fed "kind:" once,
    copied for each value (HMAC reads its message as a stream, so the digest is the same)."""
    secret = (key or settings.HUZHU_LOOKUP_KEY).encode()
    keyed = hmac.new(secret, f"{kind}:".encode(), hashlib.sha256)

    def digest(value: str) -> str:
        mac = keyed.copy()
        mac.update(value.encode())
        return mac.hexdigest()

    return digest
