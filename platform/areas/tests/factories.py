"""Factories for people, areas, merchants and memberships, shared by every app's tests."""

import factory
from django.contrib.auth import get_user_model

from accounts.roles import Role
from areas.models import Merchant, ShoppingArea, StaffMembership
from areas.sectors import Sector


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    password = factory.django.Password("correct horse battery")


class ShoppingAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShoppingArea

    name = factory.Sequence(lambda n: f"Binnenstad {n}")
    slug = factory.Sequence(lambda n: f"binnenstad-{n}")
    country = "NL"
    time_zone = "Europe/Amsterdam"
    pass_name = factory.LazyAttribute(lambda o: f"Stadspas {o.name}")
    collective_name = factory.LazyAttribute(lambda o: f"Ondernemersvereniging {o.name}")
    collective_address = "Markt 1, 3811 AA Amersfoort"
    privacy_email = "privacy@example.org"
    centre_latitude = "52.156100"
    centre_longitude = "5.387800"


class FlemishAreaFactory(ShoppingAreaFactory):
    country = "BE"
    time_zone = "Europe/Brussels"
    collective_address = "Grote Markt 1, 2800 Mechelen"
    centre_latitude = "51.027700"
    centre_longitude = "4.477500"


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    area = factory.SubFactory(ShoppingAreaFactory)
    trade_name = factory.Sequence(lambda n: f"Winkel {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.trade_name} B.V.")
    slug = factory.Sequence(lambda n: f"winkel-{n}")
    registration_number = factory.Sequence(lambda n: f"{10000000 + n}")
    sector = Sector.FASHION
    street = factory.Sequence(lambda n: f"Langestraat {n + 1}")
    postcode = "3811 AB"
    city = "Amersfoort"


class StaffMembershipFactory(factory.django.DjangoModelFactory):
    """Pass `merchant=` for merchant roles (the area follows), `area=` for area roles."""

    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory)
    role = Role.MERCHANT_STAFF
    merchant = None
    area = factory.LazyAttribute(lambda o: o.merchant.area if o.merchant else None)


def give_totp(user) -> str:
    """Set up a TOTP authenticator for the person through allauth's own API; returns the secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def current_totp_code(secret: str) -> str:
    """The code an authenticator app would show now for this secret. With less than five seconds of its period
    left, the next period's, after waiting for it (as a person does when the app's code is about to change): the
    server accepts the current period's code only, and a slow test would otherwise send it too late."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 5:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))
