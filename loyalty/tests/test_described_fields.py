"""Screen readers read a field's help text through its `aria-describedby` (Django sets it on every field with a help
text): the pages that draw help texts by hand give them the id it points at."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.roles import Role

from .factories import person_with

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def assert_every_description_exists(page: str) -> None:
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    assert described, "no field with a help text on this page"
    for ids in described:
        for id_ in ids.split():
            assert f'id="{id_}"' in page, id_


def test_the_tills_help_texts_are_the_descriptions_of_their_fields(client, merchant):
    client.force_login(person_with(Role.MERCHANT_STAFF, merchant=merchant))
    assert_every_description_exists(client.get(reverse("loyalty:till", args=[merchant.pk])).content.decode())


def test_the_gift_card_desks_help_texts_are_the_descriptions_of_their_fields(client, area):
    client.force_login(person_with(Role.AREA_MANAGER, area=area, merchant=None))
    assert_every_description_exists(client.get(reverse("loyalty:desk_sell", args=[area.pk])).content.decode())


def test_the_sign_up_pages_help_texts_are_the_descriptions_of_their_fields(client, area):
    assert_every_description_exists(client.get(reverse("account_signup")).content.decode())
