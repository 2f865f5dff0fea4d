"""Test-wide setup: the test profile of the settings, and fixtures shared by every app."""

import os

import pytest

os.environ.setdefault("AGORA_ENV", "test")


def _factories():
    from areas.tests import factories  # imported late: Django is set up by then

    return factories


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the test profile's is in memory): nothing cached by an earlier test,
    whose rows may have had the same ids, leaks into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """The rows data migrations seed (consent purposes, carriers) are there for every database test.

    A test with `transaction=True` ends by emptying every table, so without this the tests after it on the
    same worker would find no purposes or carriers, and pass or fail by the order they ran in.
    """
    marker = request.node.get_closest_marker("django_db")
    wants_db = marker is not None or {"db", "transactional_db"} & set(request.fixturenames)
    if not wants_db:
        return
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from parcels.default_carriers import ensure_default_carriers
    from parcels.models import Carrier
    from privacy.default_purposes import ensure_default_purposes
    from privacy.models import Purpose

    if not Purpose.objects.exists():
        ensure_default_purposes()
    if not Carrier.objects.exists():
        ensure_default_carriers()


@pytest.fixture
def area(db):
    return _factories().ShoppingAreaFactory()


@pytest.fixture
def flemish_area(db):
    return _factories().FlemishAreaFactory()


@pytest.fixture
def merchant(area):
    return _factories().MerchantFactory(area=area)


@pytest.fixture
def person(db):
    return _factories().UserFactory()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` skip with a reason on SQLite; `browser` ones where no Chromium exists."""
    from django.db import connection

    chromium = os.environ.get("AGORA_CHROMIUM", "/usr/bin/chromium")
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…"))
        if "browser" in item.keywords and not os.path.exists(chromium):
            item.add_marker(pytest.mark.skip(reason=f"needs Chromium at {chromium} (apt install chromium)"))
