"""factory_boy factories for parties; complaints are reached through services (see tests.states)."""

import factory
from factory.django import DjangoModelFactory

from complaints.models import Merchant, Platform, User


class PlatformFactory(DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"platform{n}")
    name = factory.Sequence(lambda n: f"平台{n}")
    response_days = 10


class MerchantFactory(DjangoModelFactory):
    class Meta:
        model = Merchant

    platform = factory.SubFactory(PlatformFactory)
    name = factory.Sequence(lambda n: f"商家{n}")
    address = "上海市浦东新区世纪大道100号"
    contact = "021-55550000"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = "consumer"
    password = factory.django.Password("correct-horse-battery-9")
