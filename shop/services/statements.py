"""A merchant's webshop statement for a period: what was sold, the VAT in it, the refunds, the collective's
commission, what Stripe transferred, and what is still to come.

A statement covers the merchant's parts of the orders *paid* in the period (local days of the area). Per part:
sales (goods + delivery, incl. VAT, as frozen at checkout), refunded (all refunds of the part so far),
commission (booked with the transfer, less what reversals returned), transferred (the transfer less its
reversals), owed by the collective (the share the gift card or a collective voucher paid, settled outside Stripe,
less what reversals took back), voucher funded by the merchant (its own voucher's share, less what refunds returned),
and outstanding = sales − refunded − commission − transferred − owed by the collective − own voucher: what the
merchant is still owed (a part not handed over yet) — zero once a part is paid out. The totals are the sums of the
rows, so the statement reconciles with the orders to the cent.

The VAT per rate is what the merchant declares: the goods as sold less what was refunded of them (a line's VAT in
proportion, rounded half up), plus the delivery fee less its refund. Delivery is a secondary service of the goods
it brings (NL and BE alike): it carries their rate, and over a part with goods at several rates it is split in
proportion to the goods as sold (`money.share_pro_rata`, highest rate first), as the part's receipt states it; a
refund of goods does not move it. So the VAT table adds up to sales − refunded, to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from django.db.models import Prefetch, Sum
from django.utils import timezone

from accounts.permissions import can

from ..exceptions_merchant import NotAllowed
from ..models import MerchantOrder, MerchantOrderStatus, OrderLine, Refund, RefundLine, Transfer, TransferReversal
from ..vat import round_half_up, vat_of
from .money import share_pro_rata

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

    @property
    def vat_gross_cents(self) -> int:
        """The VAT table's total incl. VAT: sales less refunds."""
        return sum(row.gross_cents for row in self.vat)


def _bounds(area, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    zone = area.tz
    return (
        datetime.combine(first_day, time.min, tzinfo=zone),
        datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone),
    )


def merchant_statement(*, merchant, first_day: date, last_day: date, by=None) -> Statement:
    """The statement of `merchant` for the days first..last (inclusive). Five queries, whatever the size.
    With `by`, checks `shop.view_shop_statements` (raises NotAllowed)."""
    if by is not None and not can(by, VIEW, merchant):
        raise NotAllowed()
    start, end = _bounds(merchant.area, first_day, last_day)
    parts = list(
        MerchantOrder.objects.filter(merchant=merchant, order__paid_at__gte=start, order__paid_at__lt=end)
        .select_related("order")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.only("part_id", "vat_rate_bps", "gross_cents", "vat_cents").order_by("pk"),
            )
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
    refunded_lines = dict(
        RefundLine.objects.filter(refund__part_id__in=ids)
        .values_list("line_id")
        .annotate(s=Sum("amount_cents"))
        .values_list("line_id", "s")
    )
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
        _add_vat(vat, part, refunded_lines=refunded_lines, refunded=part_refunded)
    statement.vat = [
        VatRow(rate, gross, tax) for rate, (gross, tax) in sorted(vat.items(), reverse=True) if gross or tax
    ]
    return statement


def _add_vat(vat: dict[int, list[int]], part: MerchantOrder, *, refunded_lines: dict[int, int], refunded: int) -> None:
    """The part's goods and delivery less their refunds into `vat` (rate → [incl. VAT, VAT]); see the module doc."""
    goods_back = 0
    sold_by_rate: dict[int, int] = defaultdict(int)
    for line in part.lines.all():
        back = min(refunded_lines.get(line.pk, 0), line.gross_cents)
        kept = line.gross_cents - back
        goods_back += back
        kept_vat = line.vat_cents if not back else round_half_up(Fraction(line.vat_cents * kept, line.gross_cents))
        vat[line.vat_rate_bps][0] += kept
        vat[line.vat_rate_bps][1] += kept_vat
        sold_by_rate[line.vat_rate_bps] += line.gross_cents
    # What a refund paid beyond its lines was the delivery fee (given back with the last line of a part).
    delivery = max(part.delivery_cents - max(refunded - goods_back, 0), 0)
    if not delivery or not sold_by_rate:
        return
    # over the goods as sold, as the part's receipt states it (a refund of goods does not move it)
    rates = sorted(sold_by_rate, reverse=True)
    for rate, share in zip(rates, share_pro_rata(delivery, [sold_by_rate[rate] for rate in rates]), strict=True):
        if share:
            vat[rate][0] += share
            vat[rate][1] += vat_of(share, rate)


def status_label(part: MerchantOrder) -> str:
    return str(MerchantOrderStatus(part.status).label)
