"""Returns drop-off: carrier recognised or asked, size checked, one return per code, receipt after commit."""

from datetime import timedelta

import pytest

from parcels import services
from parcels.exceptions import InvalidReceiptEmail, NotAllowed, NotAReturn, ReturnTooLarge
from parcels.models import Billable, Direction, LearnedCarrierPrefix, Parcel, ParcelEvent, SizeClass
from parcels.states import ParcelState

from .factories import THREE_S_CODE, UPS_CODES, agree, desk_staff, key, receive

pytestmark = pytest.mark.django_db


def drop(point, staff, raw_code, *, now, **extra):
    return services.drop_off_return(
        point=point, raw_code=raw_code, by=staff, request_key=extra.pop("request_key", None) or key(), now=now, **extra
    )


def test_a_recognised_return_is_received_and_billed(point, staff, now):
    result = drop(point, staff, f" {UPS_CODES[0].lower()} ", now=now, device="desk-1", size_class=SizeClass.M)
    parcel = result.parcel
    assert not result.is_duplicate and not result.needs_carrier_choice
    assert (parcel.carrier.code, parcel.tracking_code, parcel.direction, parcel.state) == (
        "ups",
        UPS_CODES[0],
        Direction.RETURN,
        ParcelState.RETURN_RECEIVED,
    )
    (event,) = parcel.events.all()
    assert (event.kind, event.from_state, event.to_state, event.by, event.device) == (
        "return_received",
        "",
        "return_received",
        staff,
        "desk-1",
    )
    assert (event.billable, event.fee_cents) == (Billable.RETURN_DROP_OFF, 30)
    assert parcel.pickup_code == "" and parcel.storage_until is None


def test_an_ambiguous_code_asks_which_carrier_and_remembers_the_answer(point, staff, now):
    asked = drop(point, staff, THREE_S_CODE, now=now)
    assert asked.parcel is None and asked.needs_carrier_choice and set(asked.candidates) == {"postnl", "dhl"}
    assert not Parcel.objects.exists()
    answered = drop(point, staff, THREE_S_CODE, now=now, carrier_code="postnl")
    assert answered.parcel.carrier.code == "postnl"
    assert LearnedCarrierPrefix.objects.get(point=point).carrier.code == "postnl"
    # scanned again without the answer: the earlier return settles it, and it is the same return
    again = drop(point, staff, THREE_S_CODE, now=now)
    assert again.is_duplicate and again.parcel == answered.parcel


def test_a_printerless_qr_payload_is_the_returns_code(point, staff, now):
    payload = "RTN-7Q2K9XW4"
    asked = drop(point, staff, payload, now=now)
    assert asked.needs_carrier_choice and "dhl" in asked.candidates
    parcel = drop(point, staff, payload, now=now, carrier_code="dhl").parcel
    assert parcel.tracking_code == payload and parcel.direction == Direction.RETURN


def test_a_second_scan_shows_the_return_and_makes_no_duplicate(point, staff, now):
    first = drop(point, staff, UPS_CODES[1], now=now)
    again = drop(point, staff, UPS_CODES[1], now=now + timedelta(minutes=3))
    assert again.is_duplicate and again.parcel == first.parcel
    request_key = key()
    retry_first = drop(point, staff, UPS_CODES[2], now=now, request_key=request_key)
    retry = drop(point, staff, UPS_CODES[2], now=now, request_key=request_key)
    assert retry.is_duplicate and retry.parcel == retry_first.parcel
    assert Parcel.objects.count() == 2 and ParcelEvent.objects.count() == 2


def test_an_inbound_parcel_is_not_taken_as_a_return(point, staff, now):
    receive(point, staff, code=UPS_CODES[3], at=now)
    with pytest.raises(NotAReturn):
        drop(point, staff, UPS_CODES[3], now=now)


def test_an_oversize_return_is_refused_unless_the_carrier_takes_it(point, staff, now):
    agree(point, "ups", max_size_class=SizeClass.L, max_weight_grams=20_000)
    with pytest.raises(ReturnTooLarge):
        drop(point, staff, UPS_CODES[0], now=now, size_class=SizeClass.XL)
    with pytest.raises(ReturnTooLarge):
        drop(point, staff, UPS_CODES[0], now=now, weight_grams=25_000)
    assert not Parcel.objects.exists()
    agree(point, "ups", accept_oversize=True)
    parcel = drop(point, staff, UPS_CODES[0], now=now, weight_grams=25_000).parcel
    assert parcel.is_oversize and parcel.state == ParcelState.RETURN_RECEIVED


def test_the_receipt_is_emailed_after_commit_once(point, staff, now, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        parcel = drop(point, staff, UPS_CODES[0], now=now, customer_email="Klant@Example.org").parcel
    assert len(callbacks) == 1
    (message,) = mailoutbox
    assert message.to == ["klant@example.org"]
    assert UPS_CODES[0] in message.body and "UPS" in message.body.upper()
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<svg" in html and UPS_CODES[0] in html
    # the task run twice sends once; a second scan asks for nothing more
    assert services.send_return_receipt(parcel_id=parcel.pk) is False
    with django_capture_on_commit_callbacks(execute=True):
        drop(point, staff, UPS_CODES[0], now=now, customer_email="klant@example.org")
    assert len(mailoutbox) == 1


def test_no_receipt_email_without_an_address_and_a_bad_address_is_refused(
    point, staff, now, django_capture_on_commit_callbacks, mailoutbox
):
    with pytest.raises(InvalidReceiptEmail):
        drop(point, staff, UPS_CODES[0], now=now, customer_email="not an address")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        drop(point, staff, UPS_CODES[0], now=now)
    assert not callbacks and not mailoutbox
    # asked for at a second scan: sent then
    with django_capture_on_commit_callbacks(execute=True):
        again = drop(point, staff, UPS_CODES[0], now=now, customer_email="late@example.org")
    assert again.is_duplicate and [m.to for m in mailoutbox] == [["late@example.org"]]


def test_staff_of_another_area_cannot_take_returns(point, now, flemish_area):
    with pytest.raises(NotAllowed):
        drop(point, desk_staff(flemish_area), UPS_CODES[0], now=now)
