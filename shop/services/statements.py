"""A merchant's webshop statement for a period: what was sold, the VAT in it, the refunds, the collective's
commission, what Stripe transferred, and what is still to come.

A statement covers the merchant's parts of the orders *paid* in the period (local days of the area). Per part:
sales (goods + delivery, incl. VAT, as frozen at checkout), refunded (all refunds of the part so far),
commission (booked with the transfer, less what reversals returned), transferred (the transfer less its
reversals), owed by the collective (the share the gift card or a collective voucher paid, settled outside Stripe,
less what reversals took back), voucher funded by the merchant (its own voucher's share, less what refunds returned),
and outstanding = sales − refunded − commission − transferred − owed by the collective − own voucher: what the
merchant is still owed (a part not handed over yet) — zero once a part is paid out. The VAT per rate comes from the
lines as sold; the totals are the sums of the rows, so the statement reconciles with the orders to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Sum
from django.utils import timezone

from accounts.permissions import can

from ..exceptions_merchant import NotAllowed
from ..models import MerchantOrder, MerchantOrderStatus, OrderLine, Refund, Transfer, TransferReversal

VIEW = "shop.view_shop_statements"


@dataclass(frozen=True)
class VatRow:
    rate_bps: int
    gross_cents: int
    vat_cents: int

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.vat_cents


@dataclass(frozen=True)
class PartRow:
    part: MerchantOrder
    paid_at: datetime
    sales_cents: int
    refunded_cents: int
    commission_cents: int
    transferred_cents: int
    collective_cents: int = 0
    own_voucher_cents: int = 0

    @property
    def outstanding_cents(self) -> int:
        return (
            self.sales_cents
            - self.refunded_cents
            - self.commission_cents
            - self.transferred_cents
            - self.collective_cents
            - self.own_voucher_cents
        )


@dataclass
class Statement:
    merchant: object
    first_day: date
    last_day: date
    rows: list[PartRow] = field(default_factory=list)
    vat: list[VatRow] = field(default_factory=list)
    computed_at: datetime = field(default_factory=timezone.now)

    def _sum(self, name: str) -> int:
        return sum(getattr(row, name) for row in self.rows)

    @property
    def sales_cents(self) -> int:
        return self._sum("sales_cents")

    @property
    def goods_cents(self) -> int:
        return sum(row.part.goods_cents for row in self.rows)

    @property
    def delivery_cents(self) -> int:
        return sum(row.part.delivery_cents for row in self.rows)

    @property
    def refunded_cents(self) -> int:
        return self._sum("refunded_cents")

    @property
    def commission_cents(self) -> int:
        return self._sum("commission_cents")

    @property
    def transferred_cents(self) -> int:
        return self._sum("transferred_cents")

    @property
    def collective_cents(self) -> int:
        return self._sum("collective_cents")

    @property
    def own_voucher_cents(self) -> int:
        return self._sum("own_voucher_cents")

    @property
    def outstanding_cents(self) -> int:
        return self._sum("outstanding_cents")

    @property
    def vat_cents(self) -> int:
        return sum(row.vat_cents for row in self.vat)


def _bounds(area, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    zone = area.tz
    return (
        datetime.combine(first_day, time.min, tzinfo=zone),
        datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone),
    )


def merchant_statement(*, merchant, first_day: date, last_day: date, by=None) -> Statement:
    """The statement of `merchant` for the days first..last (inclusive). Four queries, whatever the size.
    With `by`, checks `shop.view_shop_statements` (raises NotAllowed)."""
    if by is not None and not can(by, VIEW, merchant):
        raise NotAllowed()
    start, end = _bounds(merchant.area, first_day, last_day)
    parts = list(
        MerchantOrder.objects.filter(merchant=merchant, order__paid_at__gte=start, order__paid_at__lt=end)
        .select_related("order")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.only("part_id", "vat_rate_bps", "gross_cents", "vat_cents"))
        )
        .order_by("order__paid_at", "pk")
    )
    ids = [part.pk for part in parts]
    refunded = {
        part_id: (total, total - card - gift)  # (refunded, of which the voucher's money)
        for part_id, total, card, gift in Refund.objects.filter(part_id__in=ids)
        .values_list("part_id")
        .annotate(s=Sum("amount_cents"), c=Sum("card_cents"), g=Sum("gift_card_cents"))
        .values_list("part_id", "s", "c", "g")
    }
    transfers = {
        part_id: (amount, commission, collective)
        for part_id, amount, commission, collective in Transfer.objects.filter(part_id__in=ids).values_list(
            "part_id", "amount_cents", "commission_cents", "collective_cents"
        )
    }
    reversed_ = defaultdict(lambda: [0, 0, 0])
    for part_id, amount, commission, collective in TransferReversal.objects.filter(
        transfer__part_id__in=ids
    ).values_list("transfer__part_id", "amount_cents", "commission_cents", "collective_cents"):
        reversed_[part_id][0] += amount
        reversed_[part_id][1] += commission
        reversed_[part_id][2] += collective
    statement = Statement(merchant=merchant, first_day=first_day, last_day=last_day)
    vat: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for part in parts:
        transfer_amount, transfer_commission, transfer_collective = transfers.get(part.pk, (0, 0, 0))
        back_amount, back_commission, back_collective = reversed_.get(part.pk, (0, 0, 0))
        part_refunded, voucher_refunded = refunded.get(part.pk, (0, 0))
        statement.rows.append(
            PartRow(
                part=part,
                paid_at=part.order.paid_at,
                sales_cents=part.goods_cents + part.delivery_cents,
                refunded_cents=part_refunded,
                commission_cents=transfer_commission - back_commission,
                transferred_cents=transfer_amount - back_amount,
                collective_cents=transfer_collective - back_collective,
                own_voucher_cents=max(part.voucher_cents - voucher_refunded, 0) if part.voucher_by_merchant else 0,
            )
        )
        for line in part.lines.all():
            vat[line.vat_rate_bps][0] += line.gross_cents
            vat[line.vat_rate_bps][1] += line.vat_cents
    statement.vat = [VatRow(rate, gross, tax) for rate, (gross, tax) in sorted(vat.items(), reverse=True)]
    return statement


def status_label(part: MerchantOrder) -> str:
    return str(MerchantOrderStatus(part.status).label)
