"""A merchant may describe the shop in English too, for the English website."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, give_totp

pytestmark = pytest.mark.django_db


def test_the_owner_writes_an_english_description_that_english_pages_show(client, merchant):
    # given: the owner on the staff edit form
    owner = StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant).user
    give_totp(owner)
    client.force_login(owner)
    edit = reverse("areas:merchant_edit", kwargs={"pk": merchant.pk})
    assert "description_en" in client.get(edit).context["form"].fields

    # when
    response = client.post(
        edit,
        {
            "trade_name": merchant.trade_name,
            "street": merchant.street,
            "postcode": merchant.postcode,
            "city": merchant.city,
            "description": "Mode met persoonlijke aandacht.",
            "description_en": "Fashion with personal attention.",
        },
    )

    # then: saved, and each language reads its own
    assert response.status_code == 302
    merchant.refresh_from_db()
    with translation.override("en"):
        assert merchant.shown_description == "Fashion with personal attention."
    with translation.override("nl"):
        assert merchant.shown_description == "Mode met persoonlijke aandacht."
    merchant.description_en = ""
    with translation.override("en"):
        assert merchant.shown_description == "Mode met persoonlijke aandacht."
