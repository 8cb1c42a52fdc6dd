"""Consumers' phone numbers, ID numbers and addresses are encrypted at rest (PIPL).

The raw columns are read with SQL, past the model, as a database dump would show them.
"""

from __future__ import annotations

import hashlib
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from complaints import encryption
from complaints.checks import check_personal_data_keys
from complaints.models import User
from tests.factories import UserFactory
from tests.helpers import run_command

PHONE = "13912345678"
ID_NUMBER = "310101199001011234"
ADDRESS = "上海市黄浦区南京东路100号"
KEY_1 = "a2V5LW9uZS1mb3ItdGVzdHMtMDAwMDAwMDAwMDAwMDE="
KEY_2 = "a2V5LXR3by1mb3ItdGVzdHMtMDAwMDAwMDAwMDAwMDI="
HASH_KEY_2 = "aGFzaC1rZXktdHdvLWZvci10ZXN0cy0wMDAwMDAwMDA="


def raw(user: User, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM complaints_user WHERE id = %s", [user.pk])  # noqa: S608
        return cursor.fetchone()[0]


def raw_set(user: User, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE complaints_user SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, user.pk],
        )


@pytest.fixture
def consumer_with_data(db):
    return UserFactory(username="wang", phone=PHONE, id_number=ID_NUMBER, address=ADDRESS)


def test_the_columns_hold_no_plaintext_and_the_model_reads_it_back(consumer_with_data):
    # given a consumer saved with a phone, an ID number and an address
    user = consumer_with_data
    # then the columns hold ciphertext naming the newest key, and nothing of the values
    kid = encryption.keyring().current_id
    for column, value in (("phone", PHONE), ("id_number", ID_NUMBER), ("address", ADDRESS)):
        stored = raw(user, column)
        assert stored.startswith(f"wq1:{kid}:")
        assert value not in stored
        assert value.encode().hex() not in stored
    # and the lookup hash is keyed: not the plain SHA-256 a dictionary attack would try
    assert raw(user, "phone_hash") != hashlib.sha256(PHONE.encode()).hexdigest()
    assert len(raw(user, "phone_hash")) == 64
    # and the model, the admin and the serializers see the plain values
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.phone, fresh.id_number, fresh.address) == (PHONE, ID_NUMBER, ADDRESS)


def test_the_same_phone_is_encrypted_differently_each_time(db):
    first = UserFactory(username="a", phone=PHONE)
    second = UserFactory(username="b", phone=PHONE)
    assert raw(first, "phone") != raw(second, "phone")
    assert raw(first, "phone_hash") == raw(second, "phone_hash")


def test_users_are_found_by_phone_however_it_is_written(consumer_with_data):
    UserFactory(username="other", phone="13800000000")
    for written in (PHONE, "+86 139-1234-5678", "0086 13912345678", " 139 1234 5678 "):
        assert list(User.objects.with_phone(written)) == [consumer_with_data]
    assert not User.objects.with_phone("13912345679").exists()
    # a blank phone finds nobody, not every user without one
    UserFactory(username="nophone", phone="")
    assert not User.objects.with_phone("").exists()
    assert not User.objects.with_phone("---").exists()


def test_changing_the_phone_keeps_the_lookup_hash_in_step(consumer_with_data):
    user = consumer_with_data
    user.phone = "13700001111"
    user.save(update_fields=["phone"])
    assert list(User.objects.with_phone("13700001111")) == [user]
    assert not User.objects.with_phone(PHONE).exists()
    user.phone = ""
    user.save()
    assert raw(user, "phone") == "" and raw(user, "phone_hash") == ""


def test_a_value_moved_to_another_column_or_altered_does_not_decrypt(consumer_with_data):
    user = consumer_with_data
    # given the phone's ciphertext copied into the address column
    raw_set(user, "address", raw(user, "phone"))
    # then reading it fails: the field's name is bound to the ciphertext
    with pytest.raises(encryption.DecryptionError, match="altered or moved"):
        User.objects.get(pk=user.pk)
    # and so does a ciphertext with one character changed
    stored = raw(user, "phone")
    raw_set(user, "address", "")
    raw_set(user, "phone", stored[:-3] + ("A" if stored[-3] != "A" else "B") + stored[-2:])
    with pytest.raises(encryption.DecryptionError):
        User.objects.get(pk=user.pk)


def test_a_typed_value_that_looks_encrypted_is_encrypted_too(db):
    fake = "wq1:0123abcd:AAAA"
    user = UserFactory(username="tricky", address=fake)
    assert raw(user, "address") != fake
    assert User.objects.get(pk=user.pk).address == fake


def test_rotation_re_encrypts_with_the_newest_key_and_old_keys_can_go(settings, db):
    # given data encrypted with key 1
    settings.PERSONAL_DATA_KEYS = [KEY_1]
    user = UserFactory(username="rot", phone=PHONE, address=ADDRESS)
    UserFactory(username="blank", phone="")
    old_id = encryption.keyring().current_id
    # when key 2 is put first, the old data still reads, and --check says it is stale
    settings.PERSONAL_DATA_KEYS = [KEY_2, KEY_1]
    new_id = encryption.keyring().current_id
    assert User.objects.get(pk=user.pk).phone == PHONE
    with pytest.raises(CommandError, match="2 value"):
        run_command("rotate_personal_data_key", "--check")
    # when the rotation runs (twice: it is idempotent)
    assert "Re-encrypted 1 row(s)" in run_command("rotate_personal_data_key")
    assert "Re-encrypted 0 row(s)" in run_command("rotate_personal_data_key")
    # then every value is on key 2, --check agrees, and key 1 may be removed
    assert raw(user, "phone").startswith(f"wq1:{new_id}:")
    assert raw(user, "address").startswith(f"wq1:{new_id}:")
    assert old_id != new_id
    assert "Every value is on the newest key" in run_command("rotate_personal_data_key", "--check")
    settings.PERSONAL_DATA_KEYS = [KEY_2]
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.phone, fresh.address) == (PHONE, ADDRESS)
    assert list(User.objects.with_phone(PHONE)) == [user]


def test_a_value_whose_key_was_removed_too_early_names_the_missing_key(settings, db):
    settings.PERSONAL_DATA_KEYS = [KEY_1]
    user = UserFactory(username="early", phone=PHONE)
    settings.PERSONAL_DATA_KEYS = [KEY_2]
    with pytest.raises(encryption.DecryptionError, match="not in PERSONAL_DATA_KEYS"):
        User.objects.get(pk=user.pk)
    assert user.pk  # nothing was changed: with key 1 back it reads again
    settings.PERSONAL_DATA_KEYS = [KEY_2, KEY_1]
    assert User.objects.get(pk=user.pk).phone == PHONE


def test_rehash_after_the_hash_key_changed_makes_phones_findable_again(settings, db):
    user = UserFactory(username="hash", phone=PHONE)
    settings.PERSONAL_DATA_HASH_KEY = HASH_KEY_2
    assert not User.objects.with_phone(PHONE).exists()
    output = run_command("rotate_personal_data_key", "--rehash")
    assert "recomputed 1 phone lookup hash(es)" in output
    assert list(User.objects.with_phone(PHONE)) == [user]


def test_the_data_migration_encrypts_phones_stored_in_plain_text_and_reverses(db):
    # given a phone number as stored before encryption (plain text, no hash)
    user = UserFactory(username="legacy", phone="")
    raw_set(user, "phone", PHONE)
    assert User.objects.get(pk=user.pk).phone == PHONE  # plain values still read
    migration = import_module("complaints.migrations.0009_encrypt_personal_data")
    # the functions use only the editor's connection (a real schema editor cannot open
    # inside the test's transaction on SQLite)
    editor = SimpleNamespace(connection=connection)
    # when the migration runs
    migration.encrypt_phones(apps, editor)
    # then it is encrypted and findable
    assert encryption.is_encrypted(raw(user, "phone"))
    assert list(User.objects.with_phone(PHONE)) == [user]
    # and backwards restores the plain text
    migration.decrypt_phones(apps, editor)
    assert raw(user, "phone") == PHONE


def test_the_rotation_also_encrypts_values_left_in_plain_text(db):
    user = UserFactory(username="leftover", phone="")
    raw_set(user, "address", ADDRESS)
    run_command("rotate_personal_data_key")
    assert encryption.is_encrypted(raw(user, "address"))
    assert User.objects.get(pk=user.pk).address == ADDRESS


def test_generate_key_prints_a_key_the_settings_accept(settings):
    key = run_command("rotate_personal_data_key", "--generate-key").strip()
    settings.PERSONAL_DATA_KEYS = [key]
    assert encryption.keyring().current_id == encryption.key_id(encryption._decode_key(key, "x"))


def test_without_keys_nothing_is_stored_and_the_deploy_check_refuses(settings, db):
    settings.PERSONAL_DATA_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="PERSONAL_DATA_KEYS is not set"):
        UserFactory(username="nokey", phone=PHONE)
    assert [e.id for e in check_personal_data_keys()] == ["weiquan.E010"]
    settings.PERSONAL_DATA_KEYS = ["dG9vLXNob3J0"]  # base64 of 9 bytes
    assert "32 random bytes" in check_personal_data_keys()[0].msg
    with pytest.raises(CommandError):
        call_command("rotate_personal_data_key")


def test_the_development_keys_are_refused_with_debug_off(settings):
    settings.DEBUG = False
    settings.PERSONAL_DATA_KEYS = settings.DEVELOPMENT_PERSONAL_DATA_KEYS
    assert [e.id for e in check_personal_data_keys()] == ["weiquan.E011"]
    settings.DEBUG = True
    assert check_personal_data_keys() == []


def test_the_admin_finds_a_user_by_phone_and_edits_it_in_one_line(
    superuser_client, consumer_with_data
):
    response = superuser_client.get("/admin/complaints/user/", {"q": "139 1234 5678"})
    assert response.status_code == 200
    assert f"/admin/complaints/user/{consumer_with_data.pk}/change/" in response.content.decode()
    page = superuser_client.get(f"/admin/complaints/user/{consumer_with_data.pk}/change/")
    assert f'name="phone" value="{PHONE}"' in page.content.decode()
