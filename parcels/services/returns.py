"""Returns dropped off at the desk: scan the return label (or the customer's printerless QR) → a return parcel in
`return_received`, billable as a return drop-off, with a receipt.

- The carrier is settled as at intake (`intake.settle_carrier`: recognised, learned, or one question). A
  printerless return's QR payload is the return's code: the carrier is asked once, then known from it.
- Beyond the carrier's size or weight limit the return is refused (`ReturnTooLarge`) and nothing is recorded,
  unless the agreement takes oversize parcels (then it is marked oversize).
- A second scan of the same return shows it (`is_duplicate`), never a second one; a retried request (same
  `request_key`) returns the first answer. A code that is an inbound parcel here is refused (`NotAReturn`).
- The receipt (time, carrier, the code as a Code 128 barcode and as text) is a printable page, and an e-mail
  after commit when the customer gives an address. The address is kept on the return like a recipient's
  (erased after the point's retention period), so that the receipt task is safe to run twice (`notified_at`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..exceptions import InvalidReceiptEmail, InvalidTrackingCode, NotAReturn, ReturnTooLarge
from ..models import CarrierAgreement, Direction, Parcel, ParcelEvent, ParcelPoint
from ..states import ParcelState
from .access import require_desk
from .intake import _is_oversize, settle_carrier
from .transitions import lock_parcels, transition

logger = logging.getLogger(__name__)

MAX_CODE_LENGTH = Parcel._meta.get_field("tracking_code").max_length


@dataclass(frozen=True)
class ReturnResult:
    """What the returns screen shows after a scan: the return (None only when `needs_carrier_choice`: ask
    "which carrier?" among `candidates`, then scan again with `carrier_code=`)."""

    parcel: Parcel | None
    is_duplicate: bool = False
    needs_carrier_choice: bool = False
    candidates: tuple[str, ...] = ()
    tracking_code: str = ""
    reason: str = ""


def drop_off_return(
    *,
    point: ParcelPoint,
    raw_code: str,
    by,
    request_key: uuid.UUID,
    device: str = "",
    carrier_code: str | None = None,
    size_class: str | None = None,
    weight_grams: int | None = None,
    customer_email: str = "",
    now: datetime | None = None,
) -> ReturnResult:
    """Take a return in (see the module docstring); the receipt e-mail leaves after commit.

    Raises NotAllowed, PointClosed, InvalidTrackingCode, UnknownCarrier, ReturnTooLarge, NotAReturn,
    InvalidReceiptEmail.
    """
    now = now or timezone.now()
    email = (customer_email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            raise InvalidReceiptEmail() from error
    with transaction.atomic():
        require_desk(by, point)
        if previous := ParcelEvent.objects.select_related("parcel__carrier").filter(request_key=request_key).first():
            return ReturnResult(parcel=previous.parcel, is_duplicate=True, tracking_code=previous.parcel.tracking_code)
        settled = settle_carrier(point, raw_code, carrier_code=carrier_code, by=by, now=now)
        if len(settled.code) > MAX_CODE_LENGTH:
            raise InvalidTrackingCode(_("This code is too long for a return. Scan the return label's barcode."))
        if settled.agreement is None:
            return ReturnResult(
                parcel=None,
                needs_carrier_choice=True,
                candidates=settled.candidates,
                tracking_code=settled.code,
                reason=settled.reason,
            )
        agreement, code = settled.agreement, settled.code
        existing = _existing(point, agreement, code)
        if existing is None:
            try:
                # A savepoint: a desk scanning the same return at this moment wins the unique constraint, and
                # this scan shows its return instead of failing.
                with transaction.atomic():
                    parcel = _take_return(
                        point=point,
                        agreement=agreement,
                        code=code,
                        by=by,
                        device=device,
                        request_key=request_key,
                        size_class=size_class or "",
                        weight_grams=weight_grams,
                        email=email,
                        now=now,
                    )
            except IntegrityError:
                existing = _existing(point, agreement, code)
                if existing is None:
                    raise
            else:
                if email:
                    _send_receipt_after_commit(parcel)
                return ReturnResult(parcel=parcel, tracking_code=code)
        if existing.direction != Direction.RETURN:
            raise NotAReturn()
        if email and not existing.recipient_email and existing.notified_at is None:
            # The customer asked for the receipt by e-mail at a second scan.
            (locked,) = lock_parcels([existing.pk])
            if not locked.recipient_email:
                locked.recipient_email = email
                locked.save(update_fields=["recipient_email"])
                _send_receipt_after_commit(locked)
            existing = locked
        return ReturnResult(parcel=existing, is_duplicate=True, tracking_code=code)


def _existing(point: ParcelPoint, agreement: CarrierAgreement, code: str) -> Parcel | None:
    return (
        Parcel.objects.select_related("carrier")
        .filter(point=point, carrier=agreement.carrier, tracking_code=code)
        .first()
    )


def _take_return(
    *,
    point: ParcelPoint,
    agreement: CarrierAgreement,
    code: str,
    by,
    device: str,
    request_key: uuid.UUID,
    size_class: str,
    weight_grams: int | None,
    email: str,
    now: datetime,
) -> Parcel:
    is_oversize = _is_oversize(agreement, size_class, weight_grams)
    if is_oversize and not agreement.accept_oversize:
        raise ReturnTooLarge()
    parcel = Parcel(
        point=point,
        carrier=agreement.carrier,
        tracking_code=code,
        direction=Direction.RETURN,
        size_class=size_class,
        weight_grams=weight_grams,
        is_oversize=is_oversize,
        recipient_email=email,
        received_at=now,
    )
    transition(
        parcel,
        ParcelState.RETURN_RECEIVED,
        by=by,
        device=device,
        at=now,
        request_key=request_key,
        agreement=agreement,
    )
    return parcel


def _send_receipt_after_commit(parcel: Parcel) -> None:
    from ..tasks import send_return_receipt_task

    transaction.on_commit(partial(send_return_receipt_task.delay, parcel_id=parcel.pk))


def send_return_receipt(*, parcel_id: int) -> bool:
    """E-mail the customer the receipt of their return (time, carrier, the code as barcode and text); once per
    return (a conditional update marks it first, so a task run twice sends once). Returns whether it was sent."""
    if not Parcel.objects.filter(pk=parcel_id, direction=Direction.RETURN, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return False
    parcel = Parcel.objects.select_related("point__area", "carrier").get(pk=parcel_id)
    if not parcel.recipient_email:
        return False
    from ..manifests import receipt_context

    area = parcel.point.area
    language = (area.languages or [settings.LANGUAGE_CODE])[0]
    with translation.override(language):
        context = receipt_context(parcel)
        subject = _("Receipt for your return at %(point)s") % {"point": parcel.point.name}
        text = render_to_string("parcels/backoffice/email/return_receipt.txt", context)
        html = render_to_string("parcels/backoffice/email/return_receipt.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [parcel.recipient_email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:  # best effort: the printed receipt is the customer's proof either way
        logger.exception("Return receipt for parcel %s could not be sent", parcel_id)
        return False
    return True
