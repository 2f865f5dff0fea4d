"""The pickup voucher (loyalty's voucher service, once per handout) and the pickups selector for analytics."""

from datetime import datetime, timedelta

import pytest
from allauth.account.models import EmailAddress

from loyalty.models import Voucher
from loyalty.tests.factories import PassFactory
from parcels import selectors, services
from parcels.exceptions import NotAllowed
from parcels.models import NoticeKind, ParcelNotice

from .conftest import AMSTERDAM
from .factories import key, receive


@pytest.fixture
def member(person):
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    return person


def hand_out(point, staff, parcels, *, at, request_key=None):
    return services.hand_out_parcels(
        point=point,
        parcel_ids=[parcel.pk for parcel in parcels],
        pickup_code_or_token=parcels[0].pickup_code,
        by=staff,
        request_key=request_key or key(),
        now=at,
    )


def test_a_members_pickup_issues_one_voucher_mentioned_in_the_pickup_email(
    point, staff, manager, member, now, merchant, django_capture_on_commit_callbacks, mailoutbox
):
    # given: the manager switched the voucher on; the member has a pass and two parcels waiting
    services.set_pickup_voucher(point=point, value_cents=250, valid_days=14, merchants=[merchant], by=manager)
    member_pass = PassFactory(area=point.area, member=member)
    parcels = [receive(point, staff, email=member.email, at=now) for _ in range(2)]
    mailoutbox.clear()
    # when
    request_key = key()
    with django_capture_on_commit_callbacks(execute=True):
        hand_out(point, staff, parcels, at=now + timedelta(hours=2), request_key=request_key)
    # then
    voucher = Voucher.objects.get()
    assert (voucher.value_cents, voucher.member_pass, list(voucher.merchants.all())) == (250, member_pass, [merchant])
    assert voucher.issued_by == manager
    (message,) = mailoutbox
    assert voucher.code[:4] in message.body and "2,50" in message.body and merchant.trade_name in message.body
    # and a retry of the task, or of the desk's request, issues nothing more
    assert not services.send_pickup_notice(parcel_ids=[p.pk for p in parcels])
    with django_capture_on_commit_callbacks(execute=True):
        hand_out(point, staff, parcels, at=now + timedelta(hours=2), request_key=request_key)
    assert services.issue_pickup_voucher(parcels=parcels) == voucher
    assert Voucher.objects.count() == 1 and len(mailoutbox) == 1


def test_without_a_voucher_the_pickup_email_is_a_receipt(
    point, staff, now, django_capture_on_commit_callbacks, mailoutbox
):
    parcel = receive(point, staff, at=now)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        hand_out(point, staff, [parcel], at=now)
    (message,) = mailoutbox
    assert "opgehaald" in message.subject and not message.attachments
    assert not Voucher.objects.exists()
    assert ParcelNotice.objects.filter(parcel=parcel, kind=NoticeKind.PICKED_UP).exists()


def test_no_voucher_for_a_recipient_without_an_account(point, staff, manager, now, django_capture_on_commit_callbacks):
    services.set_pickup_voucher(point=point, value_cents=250, by=manager)
    parcel = receive(point, staff, email="guest@example.org", at=now)
    with django_capture_on_commit_callbacks(execute=True):
        hand_out(point, staff, [parcel], at=now)
    assert not Voucher.objects.exists()


def test_only_an_area_manager_switches_the_voucher_on(point, staff):
    with pytest.raises(NotAllowed):
        services.set_pickup_voucher(point=point, value_cents=250, by=staff)


def test_the_pickups_selector_gives_pseudonyms_and_no_personal_data(point, staff, member, now):
    mine = receive(point, staff, email=member.email, at=now)
    guest = receive(point, staff, email="guest@example.org", name="Gast", at=now)
    hand_out(point, staff, [mine], at=now + timedelta(hours=1))
    hand_out(point, staff, [guest], at=now + timedelta(hours=2))
    rows = selectors.pickups(
        area=point.area,
        start=datetime(2026, 6, 10, tzinfo=AMSTERDAM),
        end=datetime(2026, 6, 11, tzinfo=AMSTERDAM),
    )
    assert [(str(r[0]) if r[0] else None, r[1], r[2]) for r in rows] == [
        (str(member.pseudonym), point.pk, "webshop"),
        (None, point.pk, "webshop"),
    ]
    assert rows[0][3] == now + timedelta(hours=1)
    assert selectors.pickups(area=point.area, start=now + timedelta(days=1), end=now + timedelta(days=2)) == []
