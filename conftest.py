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
def _default_language():
    """Each test starts in the site's default language (Dutch). A request through the test client leaves the
    language its URL chose active in the thread (the locale middleware activates it and nothing resets it), so a
    test after an /en/ request would otherwise reverse() /en/ URLs and read English, by the order tests ran in."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def english():
    """The pages' and messages' language for a test that reads them in English (`usefixtures("english")`): reverse()
    gives /en/ URLs, and messages come in English now that the Dutch catalogues translate them. Apps may have their
    own fixture of this name."""
    from django.utils import translation

    with translation.override("en"):
        yield


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


CHROMIUM = os.environ.get("AGORA_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def browser():
    """The system Chromium, driven by Playwright, for a browser test (one per test: nothing carries over)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test body are still plain
    # synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def browser_page(browser):
    """A page of a fresh browser context in Dutch (nl-NL), which waits up to 20 s for what it is asked to find."""
    page = browser.new_context(locale="nl-NL").new_page()
    page.set_default_timeout(20_000)
    return page


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` skip with a reason on SQLite; `browser` ones where no Chromium exists."""
    from django.db import connection

    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…"))
        if "browser" in item.keywords and not os.path.exists(CHROMIUM):
            item.add_marker(pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (apt install chromium)"))
