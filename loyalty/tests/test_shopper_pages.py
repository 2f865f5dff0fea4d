"""What a shopper reads in the member app and on the gift-card balance page: the profile emptied when its consent is
withdrawn, one answer for every wrong number-and-PIN, vouchers that say what they are, a reward bought at the till
read as one chosen in the app, and help texts that the fields point at."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from areas.tests.factories import ShoppingAreaFactory, UserFactory
from loyalty import services
from loyalty.models import Pass, Reward, VoucherKind
from privacy.models import PurposeVersion

from .factories import PassFactory, award, cashier_for, manager_for
from .giftcard_factories import PIN, sell
from .rewards_helpers import give_points, make_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _version(code: str) -> int:
    return PurposeVersion.objects.filter(purpose__code=code).order_by("-version").first().version


def _profile(member) -> tuple[str, str]:
    return Pass.objects.values_list("postcode", "age_band").get(member=member)


# --- 1. The postcode and age group: kept only with the statistics consent -----------------------------------------


def test_withdrawing_the_statistics_consent_empties_the_profile_and_the_export_shows_none(client, area):
    person = UserFactory()
    client.force_login(person)
    client.post(
        reverse("loyalty:join"),
        {
            "postcode": "3811",
            "age_band": "25-34",
            "terms_version": _version("operate_pass"),
            "consent_analytics": "on",
            "consent_analytics_version": _version("analytics"),
        },
    )
    assert _profile(person) == ("3811", "25-34")

    client.post(reverse("privacy:consents"), {"purpose": "analytics", "state": "withdrawn"})

    assert _profile(person) == ("", "")
    export = client.get(reverse("privacy:export") + "?format=json").json()
    (row,) = export["data"]["loyalty.pass"]["rows"]
    assert (row["postcode"], row["age_band"]) == ("", "")
    assert 'value="3811"' not in client.get(reverse("loyalty:profile")).content.decode()


def test_withdrawing_another_consent_keeps_the_profile(client, area):
    person = UserFactory()
    services.join_pass(user=person, area=area, postcode="3811", consents={"analytics": None, "marketing": None})
    client.force_login(person)
    client.post(reverse("privacy:consents"), {"purpose": "marketing", "state": "withdrawn"})
    assert _profile(person) == ("3811", "")


# --- 2. The balance page tells nobody which numbers are cards ----------------------------------------------------


def _look_up(client, number, pin=PIN):
    return client.post(reverse("loyalty:gift_card_balance"), {"number": number, "pin": pin})


def _answer(response) -> str:
    form = response.context["form"]
    return " ".join([*form.non_field_errors(), *form.errors.get("number", []), *form.errors.get("pin", [])])


def test_an_unknown_number_a_pass_card_and_a_wrong_pin_get_one_answer(client, area):
    now = timezone.now()
    standalone = sell(area, 2000, at=now)
    on_pass = sell(area, 2000, at=now, member_pass=PassFactory(area=area))
    # a number with a valid check digit that is no card of this area: another area's card
    elsewhere = sell(ShoppingAreaFactory(), 2000, at=now).number

    answers = {
        "wrong pin": _answer(_look_up(client, standalone.number, pin="0000")),
        "on a pass": _answer(_look_up(client, on_pass.number)),
        "no such card here": _answer(_look_up(client, elsewhere)),
    }

    assert len(set(answers.values())) == 1, answers
    assert "The number or the PIN is not right" in answers["wrong pin"]
    page = _look_up(client, elsewhere).content.decode()
    assert "pass's app shows it" in page  # the help text points holders of a pass's card to their app


def test_a_mistyped_number_is_still_told(client, area):
    assert "This is not a valid gift card number" in _answer(_look_up(client, "1234 5678"))


# --- 3. Vouchers say what they are, where they came from, and end as they were set -------------------------------


def test_the_wallet_names_each_voucher_its_origin_and_ends_by_date_or_time(client, area, member, member_pass):
    manager = manager_for(area)
    now = timezone.now()
    campaign = make_campaign(area, now=now, name="Versweken")
    odd_end = (now + timedelta(days=30)).replace(second=0, microsecond=0)
    services.issue_voucher(
        area=area,
        kind=VoucherKind.FIXED,
        value_cents=500,
        expires_at=odd_end,
        by=manager,
        request_key=uuid.uuid4(),
        member_pass=member_pass,
        campaign=campaign,
        valid_from=now - timedelta(hours=1),
    )
    midnight = datetime.combine((now + timedelta(days=40)).astimezone(area.tz).date(), time.min, tzinfo=area.tz)
    services.issue_voucher(
        area=area,
        kind=VoucherKind.FIXED,
        value_cents=100,
        expires_at=midnight,
        by=manager,
        request_key=uuid.uuid4(),
        member_pass=member_pass,
        valid_from=now - timedelta(hours=1),
    )
    client.force_login(member)

    page = client.get(reverse("loyalty:wallet")).content.decode()

    assert "Versweken" in page and f"Campaign “Versweken” of {area.collective_name}" in page
    assert "Voucher of €1.00" in page and f"Given by {area.collective_name}" in page
    assert "Every participating shop" in page
    local_end = timezone.localtime(odd_end, area.tz)
    assert f"{local_end.day} {local_end:%B %Y, %H:%M}" in page
    last_day = midnight.date() - timedelta(days=1)
    assert re.search(rf"Last day</dt><dd>{last_day.day} {last_day:%B %Y}</dd>", page)


# --- 5. History lines say what made up the points -----------------------------------------------------------------


def test_a_reward_spent_at_the_till_reads_as_one_chosen_in_the_app(client, area, merchant, member, member_pass, now):
    give_points(member_pass, 500, now=now - timedelta(days=1))
    reward = Reward.objects.create(area=area, title="Free parking", cost_points=300, value_cents=250)
    award(merchant, member_pass, 873, at=now, by=cashier_for(merchant), reward_id=reward.pk)
    client.force_login(member)

    page = client.get(reverse("loyalty:history")).content.decode()

    spend_line = next(line for line in page.split("<li ") if "history__item--spend" in line)
    assert "Reward: Free parking" in spend_line and "€8.73" not in spend_line


# --- 6. Help texts have the ids their fields point at -------------------------------------------------------------


def test_every_described_field_on_the_balance_page_has_its_description(client, area):
    page = client.get(reverse("loyalty:gift_card_balance")).content.decode()
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    assert described
    for ids in described:
        for id_ in ids.split():
            assert f'id="{id_}"' in page, id_
