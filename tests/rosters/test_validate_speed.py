"""The roster checks' shortcuts give the same answers as the functions they stand for."""

from hypothesis import given
from hypothesis import strategies as st

from huzhu.members import crypto
from huzhu.rosters.validate import lookup_hasher


@given(st.sampled_from(["id", "card", "phone"]), st.text(max_size=40))
def test_s2_lookup_hasher_equals_lookup_hash(kind, value):
    assert lookup_hasher(kind)(value) == crypto.lookup_hash(kind, value)


def test_s2_lookup_hasher_follows_the_configured_key(settings):
    settings.HUZHU_LOOKUP_KEY = "another key"
    assert lookup_hasher("id")("320412") == crypto.lookup_hash("id", "320412")
    assert lookup_hasher("id")("320412") != crypto.lookup_hash("id", "320412", key="k")
