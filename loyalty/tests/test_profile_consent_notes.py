"""The privacy page says what a statistics decision did to the pass's profile: withdrawing removed the postcode and
age group; giving consent again does not bring them back, so it says where to fill them in (`personal_data.py`)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from loyalty.models import Pass
from privacy.models import PurposeVersion

from .factories import PassFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _version() -> int:
    return PurposeVersion.objects.filter(purpose__code="analytics").order_by("-version").first().version


def _decide(client, state: str):
    data = {"purpose": "analytics", "state": state, "version": _version()}
    return client.post(reverse("privacy:consents"), data, follow=True).content.decode()


def test_withdrawing_says_the_profile_was_removed_and_giving_again_links_to_the_profile_page(client, area, member):
    member_pass = PassFactory(
        area=area, member=member, postcode="3811", age_band="35-44", consents={"analytics": _version()}
    )
    client.force_login(member)

    page = _decide(client, "withdrawn")

    assert "Saved: you withdrew consent" in page
    assert "Your postcode and age group are removed from your pass." in page
    assert Pass.objects.values_list("postcode", "age_band").get(pk=member_pass.pk) == ("", "")

    page = _decide(client, "given")

    assert "Saved: you gave consent" in page
    assert "Your pass holds no postcode or age group" in page
    assert f'<a href="{reverse("loyalty:profile")}">Fill them in on your profile page</a>' in page


def test_giving_consent_with_the_profile_filled_in_or_without_a_pass_adds_nothing(client, area, member):
    client.force_login(member)
    page = _decide(client, "given")
    assert "Saved: you gave consent" in page and "profile page" not in page
    page = _decide(client, "withdrawn")
    assert "removed from your pass" not in page  # no pass here: nothing was removed

    PassFactory(area=area, member=member, postcode="3811", age_band="", consents={"analytics": _version()})
    page = _decide(client, "given")
    assert "Saved: you gave consent" in page and "profile page" not in page
