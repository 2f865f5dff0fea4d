import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # allauth counts attempts in the cache; a test must not inherit another test's attempts.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def verified(db):
    """Make a person's e-mail address verified, as confirming the sign-up link does."""
    from allauth.account.models import EmailAddress

    def verify(user):
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        return user

    return verify
