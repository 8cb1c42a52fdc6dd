"""Platform API keys: stored hashed, shown once, found by prefix, revocable."""

import hashlib
from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from api.keys import api_key_authenticate, api_key_create, api_key_revoke
from api.models import ApiKey
from complaints.exceptions import NotFound
from tests.helpers import run_command


@pytest.mark.django_db
def test_api_key_round_trip(platform, staff):
    # given a new key
    key, raw = api_key_create(platform=platform, name="订单系统", created_by=staff)
    # then it is wq_<prefix>_<secret>, and only its SHA-256 is stored
    scheme, prefix, secret = raw.split("_", 2)
    assert (scheme, prefix) == ("wq", key.prefix)
    assert len(secret) >= 43
    assert key.key_hash != raw and secret not in key.key_hash
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = ApiKey.objects.get(prefix=prefix)
    assert stored == key and stored.created_by == staff and stored.name == "订单系统"
    # when it authenticates, it stands for its platform
    found = api_key_authenticate(raw)
    assert found == key and found.platform == platform
    # and once revoked it no longer does
    api_key_revoke(key_id=key.pk)
    assert api_key_authenticate(raw) is None
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


@pytest.mark.django_db
def test_a_wrong_secret_with_a_real_prefix_is_refused(platform):
    key, raw = api_key_create(platform=platform)
    forged = f"wq_{key.prefix}_{'A' * 43}"
    assert api_key_authenticate(forged) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: "",
        lambda raw: raw + "x",
        lambda raw: raw[:-1],
        lambda raw: raw.upper(),
        lambda raw: f"Api-Key {raw}",
        lambda raw: raw.replace("wq_", "sk_", 1),
        lambda raw: raw.rsplit("_", 1)[0],
        lambda raw: f" {raw}",
    ],
)
def test_anything_but_the_exact_key_is_refused(platform, mangle):
    _key, raw = api_key_create(platform=platform)
    assert api_key_authenticate(mangle(raw)) is None


@pytest.mark.django_db
def test_a_platform_may_hold_several_keys_and_revoke_one(platform):
    # given two keys of one platform
    first, first_raw = api_key_create(platform=platform, name="ERP")
    second, second_raw = api_key_create(platform=platform, name="客服系统")
    assert first.prefix != second.prefix
    # when one is revoked
    api_key_revoke(key_id=first.pk)
    # then only the other still works
    assert api_key_authenticate(first_raw) is None
    assert api_key_authenticate(second_raw) == second


@pytest.mark.django_db
def test_keys_of_an_inactive_platform_are_refused(platform):
    _key, raw = api_key_create(platform=platform)
    platform.is_active = False
    platform.save()
    assert api_key_authenticate(raw) is None


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(platform, django_assert_num_queries):
    key, raw = api_key_create(platform=platform)
    # when the key is first used, the time is recorded
    assert api_key_authenticate(raw).last_used_at is not None
    first_use = ApiKey.objects.get(pk=key.pk).last_used_at
    # then a second use within the minute only reads
    with django_assert_num_queries(1):
        api_key_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first_use
    # and a use more than a minute later writes again
    stale = timezone.now() - timedelta(minutes=2)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=stale)
    api_key_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > stale + timedelta(minutes=1)


@pytest.mark.django_db
def test_revoking_twice_keeps_the_first_time(platform):
    key, _raw = api_key_create(platform=platform)
    first = api_key_revoke(key_id=key.pk).revoked_at
    assert api_key_revoke(key_id=key.pk).revoked_at == first


@pytest.mark.django_db
def test_revoking_an_unknown_key_is_not_found():
    with pytest.raises(NotFound):
        api_key_revoke(key_id=999999)


# create_api_key


def run(*args, **options) -> str:
    return run_command("create_api_key", *args, **options)


@pytest.mark.django_db
def test_create_api_key_prints_the_key_alone_on_the_last_line(platform):
    # when a key is created from the command line
    out = run("shop", "--name", "ERP 对接")
    # then the last line is the key and nothing else, and it works
    last = out.rstrip("\n").splitlines()[-1]
    assert last.startswith("wq_") and " " not in last
    key = api_key_authenticate(last)
    assert key is not None and key.platform == platform and key.name == "ERP 对接"
    # and the key appears nowhere else in the output or the database
    assert out.count(last) == 1
    assert not ApiKey.objects.filter(key_hash=last).exists()


@pytest.mark.django_db
def test_create_api_key_twice_gives_two_working_keys(platform):
    first = run("shop").splitlines()[-1]
    second = run("shop").splitlines()[-1]
    assert first != second
    assert api_key_authenticate(first) and api_key_authenticate(second)
    assert ApiKey.objects.filter(platform=platform).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "No platform"),
        (["inactive"], "not active"),
        (["shop", "--name", "x" * 101], "(?i)at most 100"),
        ([], "code"),
    ],
)
def test_create_api_key_refuses_bad_input_and_creates_nothing(platform, args, message):
    from tests.factories import PlatformFactory

    PlatformFactory(code="inactive", is_active=False)
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert ApiKey.objects.count() == 0
