"""Erasing an account lists, before the confirm button, what the person still has open with each app (their
`personal_data.py` hooks): what blocks the erasure until it is settled (an order being prepared, a parcel on the
shelf), what is lost and must be accepted (points, a gift-card balance, vouchers, a chosen reward), what to know
(a parcel announced). Blocked cases cannot be erased; the ordinary case still erases."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone, translation

from areas.tests.factories import UserFactory
from loyalty import services as loyalty
from loyalty.tests.factories import PassFactory, manager_for
from loyalty.tests.giftcard_factories import sell
from loyalty.tests.rewards_helpers import give_points, make_reward
from parcels import services as parcels
from parcels.models import AnnouncementSource
from parcels.tests.factories import UPS_CODES, ParcelPointFactory, agree, desk_staff, receive
from privacy import selectors
from privacy.exceptions import ErasureBlocked, LossesNotAccepted
from privacy.services import request_erasure
from shop.models import MerchantOrderStatus
from shop.tests.merchant_fixtures import paid_order

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def member(db):
    person = UserFactory(email="wessel@example.org")
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    return person


@pytest.fixture
def member_pass(area, member):
    return PassFactory(area=area, member=member)


@pytest.fixture
def point(area):
    point = ParcelPointFactory(area=area, name="Pakketpunt Hof")
    for code in ("ups", "webshop"):
        agree(point, code)
    return point


@pytest.fixture
def erase_page(client, member):
    """The member logged in, the password given again (erasure asks for it)."""
    client.force_login(member)
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
    return client


def _confirm(client, member, **extra):
    return client.post(reverse("privacy:erase"), {"email": member.email, **extra})


def test_the_page_lists_what_is_lost_with_amounts_and_erasure_needs_the_box_ticked(
    erase_page, area, merchant, member, member_pass
):
    # given: points, a gift card on the pass, a voucher, a reward chosen and not collected
    now = timezone.now()
    give_points(member_pass, 450, now=now)
    sell(area, 2500, at=now, member_pass=member_pass)
    loyalty.issue_voucher(
        area=area,
        kind="fixed",
        value_cents=750,
        expires_at=now + timedelta(days=30),
        by=manager_for(area),
        request_key=uuid.uuid4(),
        member_pass=member_pass,
    )
    reward = make_reward(area, title="Cappuccino", cost_points=100)
    loyalty.choose_reward(pass_id=member_pass.pk, reward_id=reward.pk, by=member, request_key=uuid.uuid4(), now=now)

    # when: the erasure page is opened
    page = erase_page.get(reverse("privacy:erase")).content.decode()

    # then: each is listed with its amount under "What you lose", with a box to accept it
    losses = page[page.index('id="losses"') : page.index("</section>", page.index('id="losses"'))]
    assert f"350 points on your {area.pass_name}" in losses  # 450 − the reward's 100
    assert "€25.00 on gift card" in losses and area.pass_name in losses
    assert "Voucher of €7.50" in losses
    assert "Reward “Cappuccino”, chosen for 100 points and not collected yet" in losses
    assert 'name="accept_losses"' in page and 'id="settle-first"' not in page
    assert "A gift card with its own card number and PIN is not linked to your account" in page

    # the address alone does not erase: the box must be ticked
    response = _confirm(erase_page, member)
    assert response.status_code == 200 and "Tick this box to confirm" in response.content.decode()
    member.refresh_from_db()
    assert not member.is_erased

    # with the box ticked for the list as shown, the erasure goes through
    digest = selectors.erasure_check(member).losses_digest
    response = _confirm(erase_page, member, accept_losses="on", losses_shown=digest)
    assert response.status_code == 302 and response["Location"] == reverse("privacy:erase_done")
    member.refresh_from_db()
    assert member.is_erased


def test_losses_that_changed_since_the_page_was_shown_are_asked_again(erase_page, area, member, member_pass):
    now = timezone.now()
    give_points(member_pass, 100, now=now)
    shown = selectors.erasure_check(member).losses_digest
    # a gift card is put on the pass after the page was drawn
    sell(area, 1000, at=now, member_pass=member_pass)

    with pytest.raises(LossesNotAccepted):
        request_erasure(subject=member, requested_by=member, losses_accepted=shown)
    response = _confirm(erase_page, member, accept_losses="on", losses_shown=shown)

    assert response.status_code == 302 and response["Location"] == reverse("privacy:erase")
    page = erase_page.get(response["Location"]).content.decode()
    assert "What is still open has changed since this page was shown" in page and "€10.00 on gift card" in page
    member.refresh_from_db()
    assert not member.is_erased


def test_an_order_being_prepared_blocks_the_erasure_until_it_is_handed_over(erase_page, area, merchant, member):
    order = paid_order(area, {merchant: [("Oude kaas", 1, 895, 900)]}, email=member.email)
    part = order.parts.get()

    page = erase_page.get(reverse("privacy:erase")).content.decode()
    settle = page[page.index('id="settle-first"') : page.index("</section>", page.index('id="settle-first"'))]
    assert f"Webshop order {order.public_id} from {merchant.trade_name} is being prepared" in settle
    assert "ask the shop to cancel it" in settle
    assert "Erase my account" not in page and 'name="email"' not in page

    # a confirmation sent anyway (an old tab) erases nothing
    assert _confirm(erase_page, member).status_code == 200
    with pytest.raises(ErasureBlocked):
        request_erasure(subject=member, requested_by=member)
    member.refresh_from_db()
    assert not member.is_erased

    # ready at the shop: still open, said so
    part.status = MerchantOrderStatus.READY
    part.save(update_fields=["status"])
    assert "is ready to collect at the shop" in erase_page.get(reverse("privacy:erase")).content.decode()

    # handed over: nothing blocks any more
    part.status = MerchantOrderStatus.HANDED_OVER
    part.save(update_fields=["status"])
    assert selectors.erasure_check(member).can_erase
    assert _confirm(erase_page, member).status_code == 302
    member.refresh_from_db()
    assert member.is_erased


def test_a_parcel_waiting_at_the_point_blocks_and_an_announced_one_is_only_told(erase_page, area, point, member):
    parcels.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[0],
        recipient_name="Wessel",
        recipient_email=member.email,
        source=AnnouncementSource.CSV,
    )
    parcel = receive(point, desk_staff(area), name="Wessel", email=member.email, at=timezone.now())

    page = erase_page.get(reverse("privacy:erase")).content.decode()
    settle = page[page.index('id="settle-first"') : page.index("</section>", page.index('id="settle-first"'))]
    assert f"Parcel {parcel.tracking_code}" in settle and "is waiting for you at Pakketpunt Hof until" in settle
    assert reverse("parcels:my_parcels") in settle
    notes = page[page.index('id="good-to-know"') : page.index("</section>", page.index('id="good-to-know"'))]
    assert f"Parcel {UPS_CODES[0]} (" in notes and "is expected at Pakketpunt Hof" in notes
    with pytest.raises(ErasureBlocked):
        request_erasure(subject=member, requested_by=member)

    # picked up: the announced parcel is still told, but nothing blocks
    parcels.hand_out_parcels(
        point=point,
        parcel_ids=[parcel.pk],
        pickup_code_or_token=parcel.pickup_code,
        by=desk_staff(area),
        request_key=uuid.uuid4(),
        id_checked=True,
    )
    check = selectors.erasure_check(member)
    assert check.can_erase and not check.losses and len(check.notes) == 1
    assert _confirm(erase_page, member).status_code == 302


def test_someone_with_nothing_open_erases_as_before(erase_page, member):
    page = erase_page.get(reverse("privacy:erase")).content.decode()
    assert 'id="settle-first"' not in page and 'id="losses"' not in page and 'name="accept_losses"' not in page

    response = _confirm(erase_page, member)

    assert response.status_code == 302 and response["Location"] == reverse("privacy:erase_done")
    member.refresh_from_db()
    assert member.is_erased
