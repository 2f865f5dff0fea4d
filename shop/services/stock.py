"""Stock: what is on hand, what checkouts hold, what is sold.

Rules every function here keeps:

- `Variant.stock_on_hand` is what is physically there and not yet sold. A `Reservation` (state ACTIVE) holds
  part of it for a pending order; available = on hand − the ACTIVE reservations (lapsed ones included until
  the every-minute job or the next checkout of that variant releases them, so a lapsed reservation is never
  counted as free and still sold).
- Anything that takes stock (a reservation, consuming one at payment) locks the variant rows first, in
  primary-key order (`_lock_variants`), and reads the reservations after the locks: two checkouts of the
  last item serialise, the second sees the first's reservation and gets OutOfStock. Ordering the locks
  means two checkouts of the same two items cannot deadlock.
- Releasing a reservation only ever makes stock free, so it needs no variant lock; it is a conditional
  UPDATE (ACTIVE → RELEASED), as consuming is (ACTIVE → CONSUMED): of a payment and the expiry job racing for
  one reservation, exactly one wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from ..exceptions import OutOfStock
from ..models import OrderLine, Reservation, ReservationState, Variant


def _lock_variants(variant_ids: Iterable[int]) -> dict[int, Variant]:
    """The variants, locked for the rest of the transaction, in primary-key order (no deadlocks)."""
    return {
        variant.pk: variant
        for variant in Variant.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk__in=set(variant_ids))
        .order_by("pk")
    }


def held(variant_ids: Iterable[int], *, exclude_order_id: int | None = None) -> dict[int, int]:
    """Quantity held by ACTIVE reservations per variant (one query)."""
    rows = Reservation.objects.filter(variant_id__in=set(variant_ids), state=ReservationState.ACTIVE)
    if exclude_order_id is not None:
        rows = rows.exclude(order_id=exclude_order_id)
    return dict(rows.order_by().values("variant_id").annotate(total=Sum("quantity")).values_list("variant_id", "total"))


def available(variants: Iterable[Variant]) -> dict[int, int]:
    """What could be reserved now per variant (no locks: for showing "3 left", not for taking)."""
    variants = list(variants)
    taken = held(v.pk for v in variants)
    return {v.pk: max(0, v.stock_on_hand - taken.get(v.pk, 0)) for v in variants}


def _needed(order) -> dict[int, int]:
    needed: dict[int, int] = defaultdict(int)
    for variant_id, quantity in OrderLine.objects.filter(part__order=order, variant__isnull=False).values_list(
        "variant_id", "quantity"
    ):
        needed[variant_id] += quantity
    return dict(needed)


def _release_lapsed_of(variant_ids: Iterable[int], now: datetime) -> int:
    return Reservation.objects.filter(
        variant_id__in=set(variant_ids), state=ReservationState.ACTIVE, expires_at__lte=now
    ).update(state=ReservationState.RELEASED)


@transaction.atomic
def reserve(*, order, minutes: int, now: datetime | None = None) -> list[Reservation]:
    """Hold the order's lines' stock for `minutes`: one ACTIVE reservation per variant.

    Locks the variants in pk order, releases their lapsed reservations, then checks on hand − held ≥ needed
    for each. Raises OutOfStock(variant, available) for the first variant short (nothing is held then: the
    caller's transaction rolls back). Call inside the checkout's transaction.
    """
    now = now or timezone.now()
    needed = _needed(order)
    variants = _lock_variants(needed)
    _release_lapsed_of(needed, now)
    taken = held(needed, exclude_order_id=order.pk)
    for variant_id in sorted(needed):
        variant = variants.get(variant_id)
        if variant is None or not variant.is_active:
            raise OutOfStock(variant=variant, available=0)
        left = variant.stock_on_hand - taken.get(variant_id, 0)
        if left < needed[variant_id]:
            raise OutOfStock(variant=variant, available=max(0, left))
    expires_at = now + timedelta(minutes=minutes)
    return Reservation.objects.bulk_create(
        Reservation(order=order, variant_id=variant_id, quantity=quantity, expires_at=expires_at)
        for variant_id, quantity in sorted(needed.items())
    )


@transaction.atomic
def consume_reservations(*, order) -> dict[int, int]:
    """The order was paid: its ACTIVE reservations become sales (on hand goes down by their quantities).

    Returns what could not be consumed, per variant (reservations that lapsed and were released before the
    payment came): empty when all is well. The caller (`orders.mark_order_paid`) tries `reserve_again` first.
    """
    needed = _needed(order)
    _lock_variants(needed)
    active = {
        r.variant_id: r
        for r in Reservation.objects.filter(order=order, variant_id__in=needed, state=ReservationState.ACTIVE)
    }
    short: dict[int, int] = {}
    for variant_id, quantity in sorted(needed.items()):
        reservation = active.get(variant_id)
        if reservation is None:
            short[variant_id] = quantity
            continue
        Reservation.objects.filter(pk=reservation.pk, state=ReservationState.ACTIVE).update(
            state=ReservationState.CONSUMED
        )
        Variant.objects.filter(pk=variant_id).update(stock_on_hand=F("stock_on_hand") - reservation.quantity)
    return short


def release_reservations(*, order) -> int:
    """Give the order's held stock back (expired, cancelled unpaid). Idempotent; returns how many."""
    return Reservation.objects.filter(order=order, state=ReservationState.ACTIVE).update(
        state=ReservationState.RELEASED
    )


def release_lapsed(*, now: datetime | None = None) -> int:
    """Release every ACTIVE reservation past its time (the every-minute job); returns how many. The order stays
    pending (its payment may still come: then `reserve_again`) until `orders.expire_unpaid` expires it."""
    return Reservation.objects.filter(state=ReservationState.ACTIVE, expires_at__lte=now or timezone.now()).update(
        state=ReservationState.RELEASED
    )


@transaction.atomic
def reserve_again(*, order, minutes: int = 5, now: datetime | None = None) -> bool:
    """Hold again what the order's released reservations held, if the stock is still there (a payment came
    after they lapsed). All or nothing: True when every line is held again (or was still held), else False
    and nothing changed. Same locks as `reserve`."""
    now = now or timezone.now()
    needed = _needed(order)
    variants = _lock_variants(needed)
    mine = {r.variant_id: r for r in Reservation.objects.filter(order=order, variant_id__in=needed)}
    lapsed = [vid for vid in needed if mine.get(vid) is None or mine[vid].state == ReservationState.RELEASED]
    if not lapsed:
        return True
    taken = held(lapsed, exclude_order_id=order.pk)
    for variant_id in lapsed:
        variant = variants.get(variant_id)
        if variant is None or variant.stock_on_hand - taken.get(variant_id, 0) < needed[variant_id]:
            return False
    expires_at = now + timedelta(minutes=minutes)
    for variant_id in lapsed:
        if variant_id in mine:
            Reservation.objects.filter(pk=mine[variant_id].pk).update(
                state=ReservationState.ACTIVE, quantity=needed[variant_id], expires_at=expires_at
            )
        else:
            Reservation.objects.create(
                order=order, variant_id=variant_id, quantity=needed[variant_id], expires_at=expires_at
            )
    return True


@transaction.atomic
def restock(*, line, quantity: int) -> None:
    """Put `quantity` of a sold line back on the shelf (a refund of goods the merchant still has, a line marked
    unavailable is not restocked by its caller). The caller's refund row is the idempotency: call once per
    refunded line. A line whose variant was deleted has nothing to restock."""
    if quantity <= 0 or line.variant_id is None:
        return
    _lock_variants([line.variant_id])
    Variant.objects.filter(pk=line.variant_id).update(stock_on_hand=F("stock_on_hand") + quantity)
