"""Fixtures for the privacy tests: people made through the factories, decisions made through the services."""

import pytest
from django.utils import translation

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, UserFactory
from privacy import services
from privacy.models import CollectionMethod

from .factories import with_totp


@pytest.fixture(autouse=True)
def _english():
    # Reversed URLs and texts in English; pages are requested under /en/ as well.
    with translation.override("en"):
        yield


@pytest.fixture
def other_person(db):
    return UserFactory()


@pytest.fixture
def area_manager(area):
    manager = UserFactory()
    StaffMembershipFactory(user=manager, role=Role.AREA_MANAGER, area=area)
    return with_totp(manager)


@pytest.fixture
def decide():
    """decide(person, area, "analytics", "given", at=None): a decision recorded through the service."""

    def _decide(person, area, purpose_code, state, *, at=None, method=CollectionMethod.SETTINGS):
        return services.record_consent(
            subject=person, area=area, purpose_code=purpose_code, state=state, method=method, language="en", at=at
        )

    return _decide


@pytest.fixture
def logged_in(client, person):
    client.force_login(person)
    return client
