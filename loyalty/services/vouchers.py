"""Vouchers: issue them, look one up at the till (locked), mark it used, make it usable again on an undo.

A code (`codes.py`) has 10 characters of Crockford's base32 (no I, L, O, U: nothing to misread), the last a Luhn mod 32
check character, so a mistyped character or two swapped neighbours are refused before any lookup. It is
stored without separators and shown grouped (ABCD-EFGH-JK); the till accepts any case, spaces and dashes,
and reads O as 0 and I or L as 1.

Single use is a compare-and-set on the voucher's row (`mark_voucher_redeemed`): the till locks the row with
`voucher_for_till` inside its checkout transaction, and the conditional UPDATE would still refuse a second
use if a caller forgot the lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can

# The code's shape (alphabet, check character, normalising) is kept with the till's other codes, which tell what a
# scan is by it (`codes.scan_kind`); it is imported from here too.
from ..codes import group_voucher_code, is_valid_voucher_code, new_voucher_code, normalise_voucher_code  # noqa: F401
from ..exceptions import (
    InvalidVoucher,
    NotAllowed,
    RequestKeyReused,
    VoucherAlreadyUsed,
    VoucherExpired,
    VoucherForAnotherPass,
    VoucherNotFound,
    VoucherNotValidHere,
    VoucherNotYetValid,
)
from ..models import Pass, TillTransaction, Voucher, VoucherKind

# --- Issuing ------------------------------------------------------------------------------------------------


def validate_voucher_terms(
    *, area, kind, value_cents, percent, max_discount_cents, valid_from, expires_at, merchants, **links
) -> None:
    """The business rules of a voucher's terms; raises InvalidVoucher with `errors` per field."""
    errors: dict[str, list[str]] = {}
    if kind == VoucherKind.FIXED:
        if not isinstance(value_cents, int) or value_cents <= 0 or percent:
            errors["value_cents"] = [_("A fixed-amount voucher needs a value greater than zero and no percentage.")]
    elif kind == VoucherKind.PERCENT:
        if not isinstance(percent, int) or not 0 < percent <= 100 or value_cents:
            errors["percent"] = [_("A percentage voucher needs a percentage from 1 to 100 and no fixed value.")]
        if max_discount_cents is not None and max_discount_cents <= 0:
            errors["max_discount_cents"] = [_("The largest discount must be greater than zero.")]
    else:
        # Reward vouchers are made only by choosing a reward (services.rewards), which spends the points.
        errors["kind"] = [_("Issue a fixed-amount or a percentage voucher.")]
    if expires_at <= valid_from:
        errors["expires_at"] = [_("The voucher must end after it starts.")]
    if any(merchant.area_id != area.pk for merchant in merchants):
        errors["merchants"] = [_("Choose merchants of this shopping area.")]
    for name, obj in links.items():
        if obj is not None and getattr(obj, "area_id", None) != area.pk:
            errors[name] = [_("This belongs to another shopping area.")]
    if errors:
        raise InvalidVoucher(errors=errors)


def _replayed(previous: Voucher, *, area, kind, member_pass) -> Voucher:
    if (previous.area_id, previous.kind, previous.member_pass_id) != (area.pk, kind, getattr(member_pass, "pk", None)):
        raise RequestKeyReused()
    return previous


def issue_voucher(
    *,
    area,
    kind: str,
    value_cents: int = 0,
    percent: int = 0,
    max_discount_cents: int | None = None,
    expires_at: datetime,
    by,
    request_key: uuid.UUID,
    merchants: Iterable = (),
    member_pass: Pass | None = None,
    funded_by_merchant=None,
    campaign=None,
    valid_from: datetime | None = None,
) -> Voucher:
    """Issue a fixed-amount or percentage voucher in the area (`loyalty.issue_vouchers` on the area).

    Valid at `merchants` (empty: every merchant of the area), for `member_pass` only if given. Replaying
    the same request_key returns the first voucher. Raises NotAllowed, InvalidVoucher (`errors` per
    field), RequestKeyReused.
    """
    if not can(by, "loyalty.issue_vouchers", area):
        raise NotAllowed()
    merchants = list(merchants)
    if previous := Voucher.objects.filter(request_key=request_key).first():
        return _replayed(previous, area=area, kind=kind, member_pass=member_pass)
    valid_from = valid_from or timezone.now()
    validate_voucher_terms(
        area=area,
        kind=kind,
        value_cents=value_cents,
        percent=percent,
        max_discount_cents=max_discount_cents,
        valid_from=valid_from,
        expires_at=expires_at,
        merchants=merchants,
        member_pass=member_pass,
        funded_by_merchant=funded_by_merchant,
        campaign=campaign,
    )
    try:
        with transaction.atomic():
            voucher = Voucher.objects.create(
                area=area,
                code=new_voucher_code(),
                member_pass=member_pass,
                kind=kind,
                value_cents=value_cents,
                percent=percent,
                max_discount_cents=max_discount_cents if kind == VoucherKind.PERCENT else None,
                funded_by_merchant=funded_by_merchant,
                campaign=campaign,
                valid_from=valid_from,
                expires_at=expires_at,
                issued_by=by,
                request_key=request_key,
            )
            if merchants:
                voucher.merchants.set(merchants)
            return voucher
    except IntegrityError:
        # The same request at the same moment (a double click): the unique key kept one; hand back that one.
        previous = Voucher.objects.filter(request_key=request_key).first()
        if previous is None:
            raise
        return _replayed(previous, area=area, kind=kind, member_pass=member_pass)


# --- At the till --------------------------------------------------------------------------------------------


def voucher_for_till(*, code: str, merchant, member_pass: Pass | None = None, now: datetime) -> Voucher:
    """The voucher with this code, locked until the caller's transaction ends, if it may be used now at `merchant`.

    Call inside the checkout transaction, after locking the pass. Two queries. Raises VoucherNotFound (also for
    a mistyped code), VoucherAlreadyUsed, VoucherNotYetValid, VoucherExpired, VoucherNotValidHere,
    VoucherForAnotherPass (all VoucherNotUsable, each with a message for the till).
    """
    normalised = normalise_voucher_code(code)
    if not is_valid_voucher_code(normalised):
        raise VoucherNotFound()
    voucher = (
        Voucher.objects.select_for_update(of=("self",))
        .filter(area_id=merchant.area_id, code=normalised)
        .select_related("reward")
        .first()
    )
    if voucher is None:
        raise VoucherNotFound()
    check_voucher_usable(voucher, member_pass=member_pass, now=now)
    merchant_ids = list(voucher.merchants.values_list("pk", flat=True))
    if merchant_ids and merchant.pk not in merchant_ids:
        raise VoucherNotValidHere()
    return voucher


def check_voucher_usable(voucher: Voucher, *, member_pass: Pass | None, now: datetime) -> None:
    """The rules every use of a voucher shares (the till's and the webshop's): unused, within its dates, and the
    right pass for a personal voucher. Raises VoucherAlreadyUsed, VoucherNotYetValid, VoucherExpired,
    VoucherForAnotherPass."""
    if voucher.redeemed_at is not None:
        raise VoucherAlreadyUsed()
    if now < voucher.valid_from:
        raise VoucherNotYetValid()
    if now >= voucher.expires_at:
        raise VoucherExpired()
    if voucher.member_pass_id is not None and (member_pass is None or member_pass.pk != voucher.member_pass_id):
        raise VoucherForAnotherPass()


def mark_voucher_redeemed(voucher: Voucher, *, till_transaction: TillTransaction, now: datetime) -> None:
    """Record that `till_transaction` used the voucher. Raises VoucherAlreadyUsed if anything used it first.

    A compare-and-set: only a row nobody redeemed yet is updated, so two checkouts can never both use it.
    """
    updated = Voucher.objects.filter(pk=voucher.pk, redeemed_at__isnull=True).update(
        redeemed_by=till_transaction, redeemed_at=now
    )
    if not updated:
        raise VoucherAlreadyUsed()
    voucher.redeemed_by, voucher.redeemed_at = till_transaction, now


def release_voucher(voucher_id: int, *, redeemed_by: TillTransaction | int | None = None) -> bool:
    """Make a used voucher usable again (its purchase was undone). Returns whether anything changed.

    With `redeemed_by`, only if that purchase is the one that used it: undoing an old purchase never frees a
    voucher that a later purchase used. The voucher keeps its own dates: an expired one stays expired.
    """
    rows = Voucher.objects.filter(pk=voucher_id, redeemed_by__isnull=False)
    if redeemed_by is not None:
        rows = rows.filter(redeemed_by=redeemed_by)
    return bool(rows.update(redeemed_by=None, redeemed_at=None))
