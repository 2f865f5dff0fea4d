"""Gift-card pages: the collective's desk (/<lang>/balie/) and the till's gift-card screen, over the real services."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, StaffMembershipFactory
from loyalty import services
from loyalty.exceptions import InvalidPin
from loyalty.models import GiftCard, GiftCardChange, GiftCardEntry, GiftCardStatus
from privacy.models import AuditEntry
from privacy.tests.factories import with_totp

from .factories import PassFactory, award, rules_for
from .giftcard_factories import PIN, balance, pay, sell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def desk_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def cashier(merchant):
    return with_totp(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user)


@pytest.fixture
def till_client(client, cashier):
    client.force_login(cashier)
    return client


def sale(**fields) -> dict:
    return {"amount": "", "pass_number": "", "pin": "", "pin_again": "", "request_key": str(uuid.uuid4()), **fields}


def autofocused(page: str) -> list[str]:
    """The names of the fields the page puts the cursor in."""
    return [
        re.search(r'name="([^"]+)"', tag).group(1)
        for tag in re.findall(r"<(?:input|select)\b[^>]*>", page)
        if re.search(r"\sautofocus\b", tag)
    ]


def payment(**fields) -> dict:
    return {"number": "", "pin": "", "amount": "", "request_key": str(uuid.uuid4()), **fields}


# --- Desk --------------------------------------------------------------------------------------------------------


def test_a_manager_of_one_area_goes_straight_to_selling(desk_client, area):
    response = desk_client.get(reverse("loyalty:desk_start"))
    assert response["Location"] == reverse("loyalty:desk_sell", args=[area.pk])


def test_the_desk_sells_a_card_and_shows_it_ready_to_print(desk_client, area, manager):
    page = desk_client.get(reverse("loyalty:desk_sell", args=[area.pk])).content.decode()
    assert 'name="request_key"' in page and 'inputmode="decimal"' in page

    data = sale(amount="25,00", pin="2468", pin_again="2468")
    response = desk_client.post(reverse("loyalty:desk_sell", args=[area.pk]), data)
    card = GiftCard.objects.get()
    assert response["Location"] == reverse("loyalty:desk_gift_card", args=[area.pk, card.pk])
    assert (card.balance_cents, card.sold_by, card.member_pass) == (2500, manager, None)
    # a double click (the same key) sells one card and shows the same one
    assert desk_client.post(reverse("loyalty:desk_sell", args=[area.pk]), data)["Location"] == response["Location"]
    assert GiftCard.objects.count() == 1

    page = desk_client.get(response["Location"]).content.decode()
    grouped = " ".join(card.number[i : i + 4] for i in range(0, 16, 4))
    assert grouped in page and "€25.00" in page
    assert f"Valid until {card.expires_at.astimezone(area.tz):%-d %B %Y}" in page
    assert "<svg" in page and "<path" in page  # the QR code, drawn on the server
    assert "2468" not in page and '<script src="http' not in page
    assert f"What is left: http://testserver{reverse('loyalty:gift_card_balance')}" in page  # for the recipient


def test_selling_onto_a_members_pass_by_its_number(desk_client, area, member_pass):
    response = desk_client.post(
        reverse("loyalty:desk_sell", args=[area.pk]), sale(amount="40", pass_number=member_pass.card_number)
    )
    assert response.status_code == 302
    assert GiftCard.objects.get().member_pass == member_pass


def test_desk_errors_are_shown_on_their_fields(desk_client, area):
    url = reverse("loyalty:desk_sell", args=[area.pk])
    response = desk_client.post(url, sale(amount="25"))  # no pass and no PIN
    assert response.status_code == 200 and "needs a PIN" in response.content.decode()
    response = desk_client.post(url, sale(amount="2", pin="4711", pin_again="4711"))
    assert response.context["form"].errors["amount"]
    response = desk_client.post(url, sale(amount="25", pin="4711", pin_again="4717"))
    assert response.context["form"].errors["pin_again"]
    response = desk_client.post(url, sale(amount="25", pin="1111", pin_again="1111"))  # tried first by a finder
    assert response.context["form"].errors["pin"][0].startswith("This PIN is too easy to guess.")
    response = desk_client.post(url, sale(amount="25", pass_number="123456789012"))
    assert response.context["form"].errors["pass_number"]
    assert not GiftCard.objects.exists()


def test_the_lookup_shows_balance_validity_status_and_entries(desk_client, area, merchant, cashier, now):
    card = sell(area, 2500, at=now)
    services.spend_gift_card(
        merchant=merchant, number=card.number, pin=PIN, amount_cents=1000, request_key=uuid.uuid4(), by=cashier
    )
    response = desk_client.get(reverse("loyalty:desk_lookup", args=[area.pk]), {"number": str(card)})
    page = response.content.decode()
    assert "€15.00" in page and "Active" in page and merchant.trade_name in page and "Loaded" in page
    assert response.context["statement"]["card"] == card
    response = desk_client.get(
        reverse("loyalty:desk_lookup", args=[area.pk]), {"number": sell(ShoppingAreaFactory(), at=now).number}
    )
    assert response.context["not_found"]


def test_looking_up_a_card_on_a_pass_is_audited(desk_client, area, manager, member_pass, now):
    card = sell(area, 2500, at=now, member_pass=member_pass)
    before = AuditEntry.objects.filter(action="view").count()
    desk_client.get(reverse("loyalty:desk_lookup", args=[area.pk]), {"number": card.number})
    assert AuditEntry.objects.filter(action="view", actor=manager, subject=member_pass.member).count() == before + 1


def test_the_desk_is_not_found_for_other_areas_managers_merchant_staff_and_members(client, area, merchant, member, now):
    card = sell(area, at=now)
    other_manager = with_totp(StaffMembershipFactory(role=Role.AREA_MANAGER, area=ShoppingAreaFactory()).user)
    owner = with_totp(StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant).user)
    urls = [
        reverse("loyalty:desk_sell", args=[area.pk]),
        reverse("loyalty:desk_lookup", args=[area.pk]),
        reverse("loyalty:desk_gift_card", args=[area.pk, card.pk]),
    ]
    for person in (other_manager, owner, member):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
        assert client.post(urls[0], sale(amount="25", pin="1234", pin_again="1234")).status_code == 404
    client.force_login(owner)
    assert client.get(reverse("loyalty:desk_start")).status_code == 404
    assert GiftCard.objects.count() == 1


def test_a_pin_typed_for_a_card_on_a_pass_is_refused_on_the_pin_field(desk_client, area, member_pass):
    url = reverse("loyalty:desk_sell", args=[area.pk])
    response = desk_client.post(
        url, sale(amount="40", pass_number=member_pass.card_number, pin="2468", pin_again="2468")
    )
    assert response.context["form"].errors["pin"] == [
        "A gift card on a pass needs no PIN: the pass's app shows it. Leave the PIN empty."
    ]
    assert not GiftCard.objects.exists()


def test_the_cursor_goes_to_the_first_field_in_error_else_to_the_value(desk_client, area):
    url = reverse("loyalty:desk_sell", args=[area.pk])
    assert autofocused(desk_client.get(url).content.decode()) == ["amount"]
    page = desk_client.post(url, sale(amount="20", pin="12", pin_again="12")).content.decode()
    assert autofocused(page) == ["pin"]
    assert 'aria-invalid="true"' in page.split('name="pin"')[1].split(">")[0]
    page = desk_client.post(url, sale(amount="0", pin="4711", pin_again="4717")).content.decode()
    assert autofocused(page) == ["amount"]


def test_the_value_example_is_written_in_the_pages_language(desk_client, area):
    url = reverse("loyalty:desk_sell", args=[area.pk])
    assert 'placeholder="25.00"' in desk_client.get(url).content.decode()
    with translation.override("nl"):
        assert 'placeholder="25,00"' in desk_client.get(reverse("loyalty:desk_sell", args=[area.pk])).content.decode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("2", "A gift card's value must be between €5.00 and €500.00."),
        ("0", "A gift card's value must be between €5.00 and €500.00."),
        ("99999999", "A gift card's value must be between €5.00 and €500.00."),
        ("0,001", "Type the amount with at most two decimals, for example 12.50."),
        ("1.250,00", "Type the amount without thousands separators, for example 1234.56."),
    ],
)
def test_a_refused_value_says_what_is_wrong_with_it_for_a_gift_card(desk_client, area, amount, message):
    response = desk_client.post(
        reverse("loyalty:desk_sell", args=[area.pk]), sale(amount=amount, pin=PIN, pin_again=PIN)
    )
    assert response.context["form"].errors["amount"] == [message]
    assert not GiftCard.objects.exists()


def test_the_range_is_the_areas_and_written_the_pages_way(desk_client, area):
    rules_for(area, giftcard_max_load_cents=20000)
    with translation.override("nl"):
        url = reverse("loyalty:desk_sell", args=[area.pk])
        [message] = desk_client.post(url, sale(amount="0", pin=PIN, pin_again=PIN)).context["form"].errors["amount"]
    assert "€\u00a05,00" in message and "€\u00a0200,00" in message


def test_print_again_from_the_lookup_is_headed_as_a_reprint(desk_client, area, now):
    card = sell(area, 2500, at=now)
    lookup = desk_client.get(reverse("loyalty:desk_lookup", args=[area.pk]), {"number": card.number}).content.decode()
    again = reverse("loyalty:desk_gift_card", args=[area.pk, card.pk]) + "?again=1"
    assert f'href="{again}"' in lookup
    page = desk_client.get(again).content.decode()
    heading = page.split("<h1>")[1].split("</h1>")[0]
    assert "Print the card again" in heading and "Gift card sold" not in page
    assert "€25.00 is left on it" in page
    assert "it pays with the same number and PIN as before" in page and "Sell another" not in page
    assert (
        "Gift card sold" in desk_client.get(reverse("loyalty:desk_gift_card", args=[area.pk, card.pk])).content.decode()
    )


def test_the_desk_blocks_a_lost_card_then_unblocks_it_from_the_lookup(desk_client, area, manager, now):
    card = sell(area, 2500, at=now)
    lookup = reverse("loyalty:desk_lookup", args=[area.pk])
    block = reverse("loyalty:desk_block_gift_card", args=[area.pk, card.pk])
    page = desk_client.get(lookup, {"number": card.number}).content.decode()
    assert f'action="{block}"' in page and "Block this gift card" in page

    # a reason is needed: none chosen, or "another" without saying which
    response = desk_client.post(block, {"reason": ""})
    assert response.status_code == 400 and response.context["block_form"].errors["reason"]
    assert autofocused(response.content.decode()) == ["reason"]
    response = desk_client.post(block, {"reason": "other", "other_reason": " "})
    assert response.status_code == 400 and response.context["block_form"].errors["other_reason"]
    response = desk_client.post(block, {"reason": "other", "other_reason": " x "})  # read in the audit: say why
    assert response.context["block_form"].errors["other_reason"][0].startswith("Say in a few words why")
    assert GiftCard.objects.get(pk=card.pk).status == GiftCardStatus.ACTIVE

    response = desk_client.post(block, {"reason": "lost"}, follow=True)
    page = response.content.decode()
    assert f"Gift card {card} is blocked" in page and "€25.00 stays on it" in page
    assert response.context["statement"]["card"].status == GiftCardStatus.BLOCKED and balance(card) == 2500
    history = page.split('id="changes-title"')[1]
    assert "Blocked" in history and "Lost" in history and manager.get_full_name() in history
    assert "Unblock this gift card" in page and "Block this gift card" not in page
    # a lost card is not printed again: whoever found it could still pay with a copy
    again = reverse("loyalty:desk_gift_card", args=[area.pk, card.pk]) + "?again=1"
    assert f'href="{again}"' not in page
    refused = desk_client.get(again, follow=True).content.decode()
    assert f"Gift card {card} is blocked: it is not printed again." in refused and "giftcard__qr" not in refused
    # again (a second tab, a double click): nothing changes
    page = desk_client.post(block, {"reason": "stolen"}, follow=True).content.decode()
    assert "was blocked already: nothing changed" in page and GiftCardChange.objects.count() == 1

    unblock = reverse("loyalty:desk_unblock_gift_card", args=[area.pk, card.pk])
    page = desk_client.post(unblock, follow=True).content.decode()
    assert f"Gift card {card} is unblocked" in page
    assert GiftCard.objects.get(pk=card.pk).status == GiftCardStatus.ACTIVE
    assert [c.kind for c in GiftCardChange.objects.all()] == ["block", "unblock"]

    response = desk_client.post(block, {"reason": "other", "other_reason": "Card broken in two"}, follow=True)
    assert "Card broken in two" in response.content.decode().split('id="changes-title"')[1]


def test_the_desk_clears_a_pin_lock_once_it_checked_the_customer_has_the_card(
    desk_client, area, merchant, cashier, now
):
    card = sell(area, 2500, at=now)
    for _attempt in range(5):
        with pytest.raises(InvalidPin):
            pay(merchant, card, 100, at=now, by=cashier, pin="0000")
    lookup = reverse("loyalty:desk_lookup", args=[area.pk])
    page = desk_client.get(lookup, {"number": card.number}).content.decode()
    assert "PIN locked" in page and "Clear the PIN lock" in page

    clear = reverse("loyalty:desk_clear_gift_card_pin_lock", args=[area.pk, card.pk])
    response = desk_client.post(clear, {})
    assert response.status_code == 400 and response.context["pin_form"].errors["holder_checked"]
    assert GiftCard.objects.get(pk=card.pk).failed_pin_attempts == 5

    page = desk_client.post(clear, {"holder_checked": "on"}, follow=True).content.decode()
    assert f"The PIN lock of gift card {card} is cleared" in page and "Clear the PIN lock" not in page
    assert "PIN lock cleared" in page.split('id="changes-title"')[1]
    assert pay(merchant, card, 100, at=now, by=cashier).balance_after_cents == 2400


def test_an_expired_blocked_card_offers_no_unblocking(desk_client, area, manager, now):
    card = sell(area, 2500, at=now - timedelta(days=3 * 365))  # past its date today
    services.giftcards.block_gift_card(area=area, card_id=card.pk, reason="lost", by=manager, now=now)
    page = desk_client.get(reverse("loyalty:desk_lookup", args=[area.pk]), {"number": card.number}).content.decode()
    assert "Unblock this gift card" not in page and "it stays blocked" in page
    unblock = reverse("loyalty:desk_unblock_gift_card", args=[area.pk, card.pk])
    page = desk_client.post(unblock, follow=True).content.decode()
    assert "This gift card has expired" in page
    assert GiftCard.objects.get(pk=card.pk).status == GiftCardStatus.BLOCKED


def test_blocking_from_another_areas_desk_is_not_found(client, area, merchant, now):
    card = sell(area, 2500, at=now)
    other_area = ShoppingAreaFactory()
    other_manager = with_totp(StaffMembershipFactory(role=Role.AREA_MANAGER, area=other_area).user)
    owner = with_totp(StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant).user)
    for person in (other_manager, owner):
        client.force_login(person)
        for area_pk in {area.pk, other_area.pk}:
            assert (
                client.post(
                    reverse("loyalty:desk_block_gift_card", args=[area_pk, card.pk]), {"reason": "lost"}
                ).status_code
                == 404
            )
            assert client.post(reverse("loyalty:desk_unblock_gift_card", args=[area_pk, card.pk])).status_code == 404
            clear = reverse("loyalty:desk_clear_gift_card_pin_lock", args=[area_pk, card.pk])
            assert client.post(clear, {"holder_checked": "on"}).status_code == 404
    assert not GiftCardChange.objects.exists()


# --- Till ----------------------------------------------------------------------------------------------------


def test_the_till_links_to_the_gift_card_screen_which_is_ready_for_a_scanner(till_client, merchant):
    page = till_client.get(reverse("loyalty:till", args=[merchant.pk])).content.decode()
    assert reverse("loyalty:till_gift_card", args=[merchant.pk]) in page
    page = till_client.get(reverse("loyalty:till_gift_card", args=[merchant.pk])).content.decode()
    number_input = page.split('name="number"')[1].split(">")[0]
    assert "autofocus" in number_input and 'autocomplete="off"' in number_input
    assert 'type="password"' in page and 'name="request_key"' in page


def test_paying_with_a_gift_card_at_the_till_and_undoing_it(till_client, area, merchant, now):
    card = sell(area, 2500, at=now)
    url = reverse("loyalty:till_gift_card", args=[merchant.pk])
    data = payment(number=str(card), pin=PIN, amount="10,00")
    response = till_client.post(url, data)
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.amount_cents, result.balance_after_cents) == (1000, 1500)
    page = response.content.decode()
    assert "€10.00 paid" in page and "€15.00" in page and "Undo" in page
    assert response.context["form"]["request_key"].value() != data["request_key"]
    # a resent request (the same key) is answered, not paid twice
    assert till_client.post(url, data).context["result"].is_replay and balance(card) == 1500

    undo = {"entry_id": result.entry_id, "request_key": str(uuid.uuid4())}
    response = till_client.post(reverse("loyalty:till_gift_card_undo", args=[merchant.pk]), undo, follow=True)
    assert "Undone: €10.00 given back" in response.content.decode()
    assert balance(card) == 2500
    till_client.post(
        reverse("loyalty:till_gift_card_undo", args=[merchant.pk]), {**undo, "request_key": str(uuid.uuid4())}
    )
    assert balance(card) == 2500 and GiftCardEntry.objects.filter(kind="reverse").count() == 1

    # the day at the till lists the payment, undone, by the card's last four digits (never its whole number)
    till_client.post(url, payment(number=str(card), pin=PIN, amount="4,50"))
    day = till_client.get(reverse("loyalty:till_day", args=[merchant.pk]))
    assert [(p["card"], p["amount"], p["undone"]) for p in day.context["gift_card_payments"]] == [
        (f"•••• {card.number[-4:]}", "€10.00", 1),
        (f"•••• {card.number[-4:]}", "€4.50", 0),
    ]
    assert day.context["summary"]["giftcard_cents"] == 450 and str(card) not in day.content.decode()


def test_till_errors_are_shown_on_their_fields(till_client, area, merchant, now):
    card = sell(area, 2500, at=now)
    url = reverse("loyalty:till_gift_card", args=[merchant.pk])
    response = till_client.post(url, payment(number=str(card), pin="0000", amount="5"))
    assert response.context["form"].errors["pin"] and response.context["focus"] == "pin"
    response = till_client.post(url, payment(number=str(card), pin=PIN, amount="30"))
    assert "€25.00 is available" in response.context["form"].errors["amount"][0]
    response = till_client.post(url, payment(number="9" * 16, pin=PIN, amount="5"))
    assert response.context["form"].errors["number"]
    assert balance(card) == 2500


def test_the_gift_card_screen_of_merchant_a_is_not_found_for_merchant_b_staff(client, area, merchant, now):
    card = sell(area, 2500, at=now)
    staff_b = with_totp(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=MerchantFactory(area=area)).user)
    client.force_login(staff_b)
    url = reverse("loyalty:till_gift_card", args=[merchant.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, payment(number=card.number, pin=PIN, amount="5")).status_code == 404
    assert client.post(reverse("loyalty:till_gift_card_undo", args=[merchant.pk]), {}).status_code == 404
    assert balance(card) == 2500


# --- The member's own gift cards ----------------------------------------------------------------------------------


def test_the_member_sees_where_the_gift_card_on_their_pass_was_loaded_and_spent(
    client, area, merchant, cashier, member_pass, now
):
    # given: € 25 put on the pass at the desk, € 10 of it paid at the merchant's till; someone else's card too
    sell(area, 2500, at=now - timedelta(days=2), member_pass=member_pass)
    award(merchant, member_pass, 1500, at=now - timedelta(days=1), by=cashier, giftcard_cents=1000)
    sell(area, 9900, at=now, member_pass=PassFactory(area=area))

    client.force_login(member_pass.member)
    pass_page = client.get(reverse("loyalty:pass")).content.decode()
    response = client.get(reverse("loyalty:gift_card_history"))

    # then: the pass screen links to it; the page shows what is left and each entry with its shop, newest first
    assert reverse("loyalty:gift_card_history") in pass_page
    assert response["Cache-Control"] == "private, no-cache"
    [card] = response.context["cards"]
    assert card["balance"] == "€15.00"
    assert [(e["label"], e["amount"], e["merchant"]) for e in card["entries"]] == [
        ("Spent", "\u2212€10.00", merchant.trade_name),
        ("Loaded", "+€25.00", ""),
    ]
    assert "€99.00" not in response.content.decode()


def test_without_a_gift_card_the_page_says_where_to_get_one(client, member_pass):
    client.force_login(member_pass.member)
    page = client.get(reverse("loyalty:gift_card_history")).content.decode()
    assert "There is no gift card on your pass" in page


def test_the_desk_sees_and_clears_a_balance_page_paused_by_wrong_pins(
    desk_client, area, now, django_capture_on_commit_callbacks
):
    from django.test import Client

    # given: someone typed five wrong PINs for the card on the public balance page
    card = sell(area, 2500, at=now)
    visitor = Client(HTTP_HOST=desk_client.defaults.get("HTTP_HOST", "testserver"))
    balance_page = reverse("loyalty:gift_card_balance")
    for _attempt in range(5):
        visitor.post(balance_page, {"number": str(card), "pin": "0000"})
    assert visitor.post(balance_page, {"number": str(card), "pin": PIN}).context["form"].errors  # paused

    # when: the holder comes to the desk with the card
    lookup = reverse("loyalty:desk_lookup", args=[area.pk])
    page = desk_client.get(lookup, {"number": card.number}).content.decode()
    assert "balance page paused after wrong PINs" in page and "Clear the PIN lock" in page
    clear = reverse("loyalty:desk_clear_gift_card_pin_lock", args=[area.pk, card.pk])
    with django_capture_on_commit_callbacks(execute=True):  # the page's count is cleared once the change is kept
        desk_client.post(clear, {"holder_checked": "on"})

    # then: the page reads the card again with its PIN
    assert visitor.post(balance_page, {"number": str(card), "pin": PIN}).status_code == 200
    assert "€25.00" in visitor.post(balance_page, {"number": str(card), "pin": PIN}).content.decode()
    assert [change.kind for change in GiftCardChange.objects.all()] == ["clear_pin"]
