"""Two people at the counter at once, on PostgreSQL: the part's row lock lets exactly one hand it over (one
payout queued); the same line marked unavailable from two screens refunds it once."""

import uuid
from unittest import mock

import pytest

from shop.exceptions_merchant import InvalidPartMove, InvalidUnavailable
from shop.models import MerchantOrderStatus, Refund
from tests.concurrency import run_together

from .merchant_fixtures import paid_order, staff_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


def test_one_of_many_handovers_of_the_same_part_wins(area, merchant):
    from shop.services import fulfilment

    part = paid_order(area, {merchant: [("Kaas", 1, 895, 900)]}, status=MerchantOrderStatus.READY).parts.get()
    staff = staff_of(merchant, totp=False)
    with (
        mock.patch("shop.tasks_payments.pay_out_part_task.delay") as payout,
        mock.patch("shop.services.notices.part_handed_over"),
    ):
        results = run_together(
            [lambda: fulfilment.hand_over_part(part=part, by=staff, to="customer", pickup_code="K7M3QX")] * 6,
            threads=6,
        )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, InvalidPartMove) for r in results if isinstance(r, Exception))
    assert payout.call_count == 1


def test_a_line_marked_unavailable_from_two_screens_is_refunded_once(area, merchant):
    from shop.services import fulfilment

    order = paid_order(area, {merchant: [("Kaas", 1, 895, 900)]})
    line = order.parts.get().lines.get()
    staff = staff_of(merchant, totp=False)
    with mock.patch("shop.services.refunds._send_after_commit", side_effect=lambda refund: refund):
        results = run_together(
            [lambda: fulfilment.mark_line_unavailable(line=line, quantity=1, by=staff, request_key=uuid.uuid4())] * 4,
            threads=4,
        )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, InvalidUnavailable) for r in results if isinstance(r, Exception))
    assert Refund.objects.filter(order=order).count() == 1
