"""The payment page's one server call: confirm with a card the stand-in Stripe.js (localstripe) tokenised.

Real Stripe.js confirms in the browser (`confirmPayment`) and never calls this. The client secret of the
order's PaymentIntent is the shopper's proof that this is their payment (the page that shows it is theirs).

The endpoint has no language prefix: the page sends its `language`, and every answer carries a `code` the page
maps to its own texts (`declined`, `not_payable`, `stale`, `unavailable`, `incomplete`); `error` is the same in
the page's language, for anything else that reads it. A success answers the intent's `status`; it and a declined
card answer the `client_secret` of the intent now in use (a new one after a decline or an abandoned 3-D Secure).
"""

import json
import secrets

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import Order, Payment
from ..services import payments
from .exceptions import GatewayError, NotPayable, PaymentDeclined


def _failure(code: str, message, status: int, order: Order | None = None) -> JsonResponse:
    """An error answer; with `order`, the client secret of its intent now in use (a declined card may have been
    tried on a fresh intent: the next card goes there)."""
    body = {"code": code, "error": str(message)}
    if order is not None and (secret := Payment.objects.filter(order=order).values_list("client_secret").first()):
        body["client_secret"] = secret[0]
    return JsonResponse(body, status=status)


@require_POST
def confirm_card(request: HttpRequest, public_id: str) -> JsonResponse:
    order = get_object_or_404(Order, public_id=public_id)
    try:
        data = json.loads(request.body or b"{}")
        payment_method = str(data["payment_method"])
        client_secret = str(data["client_secret"])
        language = str(data.get("language") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return _failure("incomplete", _("The payment details were incomplete. Please try again."), 400)
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        payment = Payment.objects.filter(order=order).first()
        if payment is None or not secrets.compare_digest(payment.client_secret, client_secret):
            # Not this order's payment, or a page opened before its payment was started again: the page reloads.
            return _failure("stale", _("This payment page is out of date. Reload the page to pay."), 403)
        try:
            intent = payments.confirm_card(order=order, payment_method=payment_method)
        except PaymentDeclined as error:
            return _failure("declined", error.message, 402, order)
        except NotPayable as error:
            return _failure("not_payable", error.message, 409)
        except GatewayError as error:
            return _failure("unavailable", error.message, 503, order)
    return JsonResponse({"status": intent.status, "client_secret": intent.client_secret})
