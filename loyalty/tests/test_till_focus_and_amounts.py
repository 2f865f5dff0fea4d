"""The till after a refusal: the cursor in the field in error (the folded-away ones too), amounts said as the page's
language writes them, what is wrong with a refused amount, a day out of the calendar's reach, and negative amounts
with a true minus sign."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from agora.money import csv_euros, format_euros
from areas.tests.factories import StaffMembershipFactory, UserFactory
from loyalty import services, totp
from loyalty.codes import group_voucher_code, new_voucher_code
from loyalty.models import Reward, TillTransaction
from privacy.tests.factories import with_totp

from .factories import recognisable, rules_for
from .giftcard_factories import sell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def member_pass(area):
    return services.join_pass(user=recognisable(UserFactory(first_name="Sanne"), area), area=area)


@pytest.fixture
def till_client(client, merchant):
    client.force_login(with_totp(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user))
    return client


def current_code(member_pass) -> str:
    return f"AGORA1:{member_pass.card_number}:{totp.code_at(member_pass.totp_secret, time.time())}"


def post(client, merchant, **fields):
    data = {"code": "", "amount": "", "receipt_number": "", "request_key": str(uuid.uuid4()), "device_id": "", **fields}
    return client.post(reverse("loyalty:till", args=[merchant.pk]), data)


def autofocused(page: str) -> list[str]:
    """The names of the fields the page puts the cursor in."""
    return [
        re.search(r'name="([^"]+)"', tag).group(1)
        for tag in re.findall(r"<(?:input|select)\b[^>]*>", page)
        if re.search(r"\sautofocus\b", tag)
    ]


def otherwise_is_open(page: str) -> bool:
    return bool(re.search(r"<details[^>]*\bopen\b[^>]*data-otherwise", page))


# --- The cursor after an error ------------------------------------------------------------------------------------


def test_a_missing_or_wrong_gift_card_pin_puts_the_cursor_in_the_gift_cards_pin(
    till_client, area, merchant, member_pass
):
    card = sell(area, 5000, at=timezone.now() - timedelta(hours=1))
    fields = {"code": current_code(member_pass), "amount": "30,00", "giftcard": "20,00", "giftcard_number": card.number}

    without_pin = post(till_client, merchant, **fields).content.decode()
    wrong_pin = post(till_client, merchant, **fields, giftcard_pin="0000").content.decode()

    for page in (without_pin, wrong_pin):
        assert autofocused(page) == ["giftcard_pin"] and otherwise_is_open(page)
    assert "Enter the gift card&#x27;s PIN." in without_pin
    assert "The gift card&#x27;s PIN is not correct." in wrong_pin
    assert not TillTransaction.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"voucher_code": group_voucher_code(new_voucher_code())}, "voucher_code", "No voucher with this code"),
        ({"giftcard": "15"}, "giftcard", "Not enough value on the gift card"),
    ],
)
def test_an_error_in_the_folded_away_fields_puts_the_cursor_there(
    till_client, merchant, member_pass, fields, field, message
):
    page = post(till_client, merchant, code=current_code(member_pass), amount="20", **fields).content.decode()

    assert message in page
    assert autofocused(page) == [field] and otherwise_is_open(page)


def test_a_gift_card_paying_more_than_the_amount_is_said_on_the_gift_card_with_the_cursor_there(
    till_client, area, merchant, member_pass
):
    sell(area, 5000, at=timezone.now() - timedelta(hours=1), member_pass=member_pass)

    response = post(till_client, merchant, code=current_code(member_pass), amount="40,00", giftcard="45")

    form, page = response.context["form"], response.content.decode()
    assert form.errors["giftcard"] == ["The gift card cannot pay more than what is left to pay: €40.00."]
    assert "amount" not in form.errors
    assert autofocused(page) == ["giftcard"] and otherwise_is_open(page)
    assert not TillTransaction.objects.exists()


def test_too_few_points_for_a_reward_says_what_it_costs_and_what_the_pass_has(till_client, area, merchant, member_pass):
    post(till_client, merchant, code=member_pass.card_number, amount="12,00")
    reward = Reward.objects.create(area=area, title="Taart", cost_points=500, value_cents=1500)

    response = post(till_client, merchant, code=current_code(member_pass), amount="20", reward=str(reward.pk))

    assert response.context["form"].errors["reward"] == [
        "Not enough points: this reward costs 500 points and the pass has 12."
    ]
    assert autofocused(response.content.decode()) == ["reward"]


def test_a_reward_chosen_in_the_app_is_named_at_the_till_without_spending_points_now(
    till_client, area, merchant, member_pass
):
    post(till_client, merchant, code=member_pass.card_number, amount="300,00")
    reward = Reward.objects.create(area=area, title="2 hours free parking", cost_points=300, value_cents=400)
    voucher = services.choose_reward(
        pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=uuid.uuid4()
    )

    page = post(till_client, merchant, code=current_code(member_pass), amount="10,00", voucher_code=voucher.code)
    page = page.content.decode()

    result = page[page.index("data-result") : page.index("data-till-form")]
    assert "Reward: 2 hours free parking, chosen in the app" in result
    assert "spent on the reward" not in result and "300" not in result
    assert "New balance: <strong>6</strong> points" in result  # 300 − 300 in the app, + 6 on the €6.00 paid now
    # a reward chosen at the till does spend its points now, and says so
    tea = Reward.objects.create(area=area, title="Tea", cost_points=5, value_cents=200)
    services.set_pin(pass_id=member_pass.pk, pin="4711", by=member_pass.member)
    page = post(till_client, merchant, code=member_pass.card_number, amount="10,00", reward=str(tea.pk), pin="4711")
    assert "5 points spent on the reward." in page.content.decode()


def test_a_members_daily_limit_at_the_shop_says_so_at_the_till(till_client, area, merchant, member_pass):
    rules_for(area, max_scans_per_member_per_merchant_per_day=1)
    post(till_client, merchant, code=member_pass.card_number, amount="5")

    page = post(till_client, merchant, code=member_pass.card_number, amount="5").content.decode()

    assert (
        "This member has reached the maximum of 1 purchase with points at this shop per day. They can earn points "
        "here again tomorrow. Nothing was recorded: the purchase itself can go ahead, without points."
    ) in page.replace("&#x27;", "'")
    assert TillTransaction.objects.count() == 1


def test_a_printed_card_without_a_pin_puts_the_cursor_in_the_pin(till_client, merchant, member_pass):
    page = post(till_client, merchant, code=member_pass.card_number, amount="20", giftcard="5", pin="1234")
    page = page.content.decode()

    assert "This card has no PIN." in page
    assert autofocused(page) == ["pin"] and otherwise_is_open(page)


def test_without_an_error_the_cursor_is_in_the_pass_code_only(till_client, merchant, member_pass):
    page = till_client.get(reverse("loyalty:till", args=[merchant.pk])).content.decode()
    assert autofocused(page) == ["code"]
    page = post(till_client, merchant, code=current_code(member_pass), amount="12,50").content.decode()
    assert autofocused(page) == ["code"] and TillTransaction.objects.count() == 1


# --- A day out of reach -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "9999-12-31", "abc"])
def test_a_day_out_of_the_tills_reach_says_so_and_shows_today(till_client, merchant, day):
    today = timezone.localdate(timezone=merchant.area.tz)

    response = till_client.get(reverse("loyalty:till_day", args=[merchant.pk]), {"day": day})

    assert response.status_code == 400 and response.context["day"] == today
    page = response.content.decode()
    assert ("That day has not come yet." if day.startswith("9") else "That is not a date.") in page
    assert "Here is today." in page


# --- Amounts as the page's language writes them -----------------------------------------------------------------


def test_the_english_till_writes_its_amounts_the_english_way(till_client, merchant, member_pass):
    code = current_code(member_pass)
    till = till_client.get(reverse("loyalty:till", args=[merchant.pk])).content.decode()
    gift_card_page = till_client.get(reverse("loyalty:till_gift_card", args=[merchant.pk])).content.decode()
    assert 'placeholder="0.00"' in till and 'placeholder="0.00"' in gift_card_page

    hint = post(till_client, merchant, code=code, amount="12.50.").content.decode()
    assert "Enter the amount in euros, for example 12.50." in hint
    assert "The amount must be more than €0.00." in post(till_client, merchant, code=code, amount="0").content.decode()

    # and the Dutch till the Dutch way
    with translation.override("nl"):
        till = till_client.get(reverse("loyalty:till", args=[merchant.pk])).content.decode()
        hint = post(till_client, merchant, code=code, amount="12.50.").context["form"].errors["amount"][0]
        too_small = post(till_client, merchant, code=code, amount="0").context["form"].errors["amount"][0]
    assert 'placeholder="0,00"' in till
    assert "12,50" in hint and "12.50" not in hint
    assert "€\u00a00,00" in too_small and "€0.00" not in too_small


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1.234,56", "Type the amount without thousands separators, for example 1234.56."),
        ("1,234.56", "Type the amount without thousands separators, for example 1234.56."),
        ("99999999", "That amount is too large for one purchase."),
        ("12.50.", "Enter the amount in euros, for example 12.50."),
        ("0,001", "Type the amount with at most two decimals, for example 12.50."),
        ("12.505", "Type the amount without thousands separators, for example 1234.56."),
    ],
)
def test_a_refused_amount_says_what_is_wrong_with_it(till_client, merchant, member_pass, amount, message):
    response = post(till_client, merchant, code=current_code(member_pass), amount=amount)
    assert response.context["form"].errors["amount"] == [message]
    assert not TillTransaction.objects.exists()


def test_both_ways_of_writing_an_amount_are_taken_in_either_language(till_client, merchant, member_pass):
    post(till_client, merchant, code=member_pass.card_number, amount="12,50")
    with translation.override("nl"):
        post(till_client, merchant, code=member_pass.card_number, amount="7.25")
    assert sorted(TillTransaction.objects.values_list("amount_cents", flat=True)) == [725, 1250]


def test_the_till_says_which_points_are_a_first_visit_bonus(till_client, area, merchant, member_pass):
    rules_for(area, first_visit_bonus_points=10)

    first = post(till_client, merchant, code=member_pass.card_number, amount="10").content.decode()
    second = post(till_client, merchant, code=member_pass.card_number, amount="10").content.decode()

    assert "including 10 bonus points for a first visit here" in first
    assert "bonus point" not in second  # only the first visit at this shop has one


# --- Negative amounts -------------------------------------------------------------------------------------------


def test_a_negative_amount_has_a_true_minus_before_the_euro_sign_but_not_in_a_spreadsheet():
    with translation.override("nl"):
        assert format_euros(-3000) == "\u2212€\u00a030,00"
        assert format_euros(-123456) == "\u2212€\u00a01.234,56"
    with translation.override("en"):
        assert format_euros(-999) == "\u2212€9.99"
        assert format_euros(0) == "€0.00"
    assert csv_euros(-3000) == "-30,00"


def test_a_refund_reads_with_a_true_minus_on_the_till_day(till_client, merchant, member_pass):
    post(till_client, merchant, code=current_code(member_pass), amount="30")
    purchase = TillTransaction.objects.get()
    till_client.post(
        reverse("loyalty:till_refund", args=[merchant.pk]),
        {"transaction_id": purchase.pk, "amount": "9.99", "request_key": str(uuid.uuid4())},
    )

    page = till_client.get(reverse("loyalty:till_day", args=[merchant.pk])).content.decode()

    assert "\u2212€9.99" in page and "€-9.99" not in page
