"""The keyed lookup hash (SPEC S2): one definition, and a fast form for many values."""

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from huzhu.members import crypto


def reference(kind: str, value: str, key: str) -> str:
    return hmac.new(key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


@given(kind=st.sampled_from(["id", "card", "phone"]), value=st.text(max_size=30))
def test_s2_lookup_hash_and_lookup_hasher_are_the_keyed_hmac_of_kind_and_value(kind, value):
    from django.conf import settings

    expected = reference(kind, value, settings.HUZHU_LOOKUP_KEY)
    assert crypto.lookup_hash(kind, value) == expected
    assert crypto.lookup_hasher(kind)(value) == expected


def test_s2_lookup_hasher_follows_the_configured_key(settings):
    settings.HUZHU_LOOKUP_KEY = "another key"
    assert crypto.lookup_hasher("id")("320412") == reference("id", "320412", "another key")
    assert crypto.lookup_hash("id", "320412", key="k") == reference("id", "320412", "k")
