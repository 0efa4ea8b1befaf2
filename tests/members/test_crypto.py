"""Field encryption (SPEC S2): AES-256-GCM ciphertexts with a key id for new values, Fernet
tokens written before them still readable, a ring of keys chosen by key id."""

import base64

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from huzhu import config
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.members.services import MemberUpdate, update_member
from tests.conftest import sign_in

ID_NUMBER = "320412198506150013"


def new_key() -> str:
    return Fernet.generate_key().decode()


def flip(token: str, index: int) -> str:
    """`token` with one byte of its sealed part changed."""
    header, body = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[index] ^= 0x01
    return f"{header}.{base64.urlsafe_b64encode(bytes(raw)).decode()}"


def test_s2_round_trip_with_the_configured_key():
    token = crypto.encrypt(ID_NUMBER)
    assert token.startswith(f"g1.{crypto.key_id(settings.HUZHU_FIELD_KEY)}.")
    assert ID_NUMBER not in token
    assert crypto.decrypt(token) == ID_NUMBER
    assert crypto.decrypt(crypto.encrypt("")) == ""
    assert crypto.decrypt(crypto.encrypt("张三")) == "张三"


def test_s2_a_fernet_token_of_the_old_code_path_still_decrypts():
    old = Fernet(settings.HUZHU_FIELD_KEY.encode()).encrypt(ID_NUMBER.encode()).decode()
    assert old.startswith(crypto.FERNET_PREFIX)
    assert crypto.decrypt(old) == ID_NUMBER
    assert crypto.decrypt(old, key=settings.HUZHU_FIELD_KEY) == ID_NUMBER


def test_s2_the_key_id_selects_the_key():
    first, second = new_key(), new_key()
    assert crypto.key_id(first) != crypto.key_id(second)
    with override_settings(HUZHU_FIELD_KEY=first, HUZHU_RETIRED_FIELD_KEYS=[]):
        by_first = crypto.encrypt(ID_NUMBER)
        fernet_by_first = Fernet(first.encode()).encrypt(b"13812345678").decode()
    with override_settings(HUZHU_FIELD_KEY=second, HUZHU_RETIRED_FIELD_KEYS=[first]):
        by_second = crypto.encrypt("6231660000000000001")
        # Written with the current key, each read with its own.
        assert by_first.split(".")[1] == crypto.key_id(first)
        assert by_second.split(".")[1] == crypto.key_id(second)
        assert crypto.decrypt(by_first) == ID_NUMBER
        assert crypto.decrypt(by_second) == "6231660000000000001"
        assert crypto.decrypt(fernet_by_first) == "13812345678"
    # A ring without the first key cannot open what it wrote, and says which key is missing.
    with override_settings(HUZHU_FIELD_KEY=second, HUZHU_RETIRED_FIELD_KEYS=[]):
        with pytest.raises(crypto.DecryptError, match=crypto.key_id(first)):
            crypto.decrypt(by_first)
        with pytest.raises(crypto.DecryptError):
            crypto.decrypt(fernet_by_first)
    # The key given explicitly (a backup's) works the same way.
    assert crypto.decrypt(by_first, key=second, retired=[first]) == ID_NUMBER
    with pytest.raises(crypto.DecryptError):
        crypto.decrypt(by_first, key=second)


def test_s2_a_restored_key_gives_the_same_key_id_and_aes_key():
    key = new_key()
    token = crypto.key_ring(key).encrypt(ID_NUMBER)
    crypto.key_ring.cache_clear()  # as a new process on the restored key folder
    assert crypto.key_id(key) == token.split(".")[1]
    assert crypto.decrypt(token, key=key) == ID_NUMBER


def test_s2_a_changed_ciphertext_raises_and_never_returns_a_wrong_value():
    first, second = new_key(), new_key()
    ring = crypto.key_ring(first, (second,))
    token = ring.encrypt(ID_NUMBER)
    body_length = len(base64.urlsafe_b64decode(token.rsplit(".", 1)[1]))
    changed = [flip(token, index) for index in (0, 11, 12, body_length - 1)]  # nonce, data, tag
    # The id of another key of the ring: the header is authenticated and the key differs.
    changed.append(token.replace(crypto.key_id(first), crypto.key_id(second)))
    changed.append(token.replace(crypto.key_id(first), "00000000"))  # a key not in the ring
    changed.append(token[:-8])  # truncated
    changed.append(token[: len("g1.") + 8 + 1 + 20])  # shorter than a nonce and a tag
    changed.append(token + ".x")
    changed.append(token.replace("g1.", "g2."))
    changed.append(token[:-4] + "!!!!")  # not base64url
    fernet = Fernet(first.encode()).encrypt(ID_NUMBER.encode()).decode()
    changed.append(fernet[:60] + ("A" if fernet[60] != "A" else "B") + fernet[61:])
    changed.append("")
    for bad in changed:
        with pytest.raises(crypto.DecryptError):
            ring.decrypt(bad)
    assert ring.decrypt(token) == ID_NUMBER


def test_s2_equal_values_get_different_nonces():
    tokens = [crypto.encrypt(ID_NUMBER) for _ in range(50)] + crypto.encrypt_many([ID_NUMBER] * 50)
    nonces = {base64.urlsafe_b64decode(t.rsplit(".", 1)[1])[: crypto.NONCE_BYTES] for t in tokens}
    assert len(nonces) == 100
    assert len(set(tokens)) == 100


def test_s2_encrypt_many_writes_what_encrypt_writes():
    values = [ID_NUMBER, "13812345678", "6231660000000000001", ""]
    many = crypto.encrypt_many(values)
    one_by_one = [crypto.encrypt(value) for value in values]
    assert [crypto.decrypt(token) for token in many] == values
    for bulk, single in zip(many, one_by_one, strict=True):
        assert bulk.split(".")[:2] == single.split(".")[:2]
        assert len(bulk) == len(single)
    assert crypto.encrypt_many([]) == []
    assert crypto.encrypt_many(iter(values[:2]))[0].startswith("g1.")


def test_s2_two_keys_with_one_key_id_are_refused(monkeypatch):
    monkeypatch.setattr(crypto, "key_id", lambda field_key: "abcdef01")
    with pytest.raises(ValueError, match="abcdef01"):
        crypto.key_ring.__wrapped__(new_key(), (new_key(),))
    # The same key listed twice is one key.
    key = new_key()
    assert list(crypto.key_ring.__wrapped__(key, (key,)).ciphers) == ["abcdef01"]


def test_s2_retired_field_keys_come_from_the_file_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("HUZHU_RETIRED_FIELD_KEYS", raising=False)
    assert config.retired_keys(tmp_path, "HUZHU_RETIRED_FIELD_KEYS") == []
    (tmp_path / "retired_field_keys").write_text("old-one\n\n  old-two \n")
    assert config.retired_keys(tmp_path, "HUZHU_RETIRED_FIELD_KEYS") == ["old-one", "old-two"]
    monkeypatch.setenv("HUZHU_RETIRED_FIELD_KEYS", "")
    assert config.retired_keys(tmp_path, "HUZHU_RETIRED_FIELD_KEYS") == ["old-one", "old-two"]
    monkeypatch.setenv("HUZHU_RETIRED_FIELD_KEYS", "env-one, env-two")
    assert config.retired_keys(tmp_path, "HUZHU_RETIRED_FIELD_KEYS") == ["env-one", "env-two"]
    assert config.retired_keys(tmp_path) == ["old-one", "old-two"]  # a backup's folder


def test_s2_a_field_key_that_is_not_a_fernet_key_still_encrypts():
    with override_settings(HUZHU_FIELD_KEY="from-the-environment", HUZHU_RETIRED_FIELD_KEYS=[]):
        token = crypto.encrypt(ID_NUMBER)
        assert crypto.decrypt(token) == ID_NUMBER
        with pytest.raises(crypto.DecryptError, match="no Fernet key"):
            crypto.decrypt(crypto.FERNET_PREFIX + "xyz")


@pytest.mark.django_db
def test_s2_a_member_stored_with_fernet_reads_and_is_written_again_with_aes_gcm(client, people):
    """A member registered before AES-GCM: the page shows its numbers, an edit writes the
    changed number in the new format and leaves the others readable as they are."""
    member = people.member
    fernet = Fernet(settings.HUZHU_FIELD_KEY.encode())
    clear = crypto.decrypt(member.id_number_encrypted)
    old = {
        "id_number_encrypted": fernet.encrypt(clear.encode()).decode(),
        "phone_encrypted": fernet.encrypt(b"13812345678").decode(),
        "union_card_encrypted": fernet.encrypt(b"6231660000000000001").decode(),
    }
    Member.objects.filter(pk=member.pk).update(**old)
    sign_in(client, people.hutang_admin)
    shown = client.post(reverse("console:member_reveal", args=[member.pk])).content.decode()
    assert clear in shown and "13812345678" in shown and "6231660000000000001" in shown

    member.refresh_from_db()
    update_member(
        actor=people.hutang_clerk,
        member=member,
        data=MemberUpdate(
            name=member.name,
            phone="13911112222",
            union_card="",  # left empty: the card stays as it is
            employer_name=member.employer_name,
            has_basic_insurance=member.has_basic_insurance,
            insurance_scope=member.insurance_scope,
        ),
    )
    member.refresh_from_db()
    assert member.phone_encrypted.startswith("g1.")
    assert member.id_number_encrypted == old["id_number_encrypted"]
    assert member.union_card_encrypted == old["union_card_encrypted"]
    shown = client.post(reverse("console:member_reveal", args=[member.pk])).content.decode()
    assert clear in shown and "13911112222" in shown and "6231660000000000001" in shown
