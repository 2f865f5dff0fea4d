"""The payment page's one server call: confirm with a card the stand-in Stripe.js (localstripe) tokenised.

Real Stripe.js confirms in the browser (`confirmPayment`) and never calls this. The client secret of the
order's PaymentIntent is the shopper's proof that this is their payment (the page that shows it is theirs).
"""

import json
import secrets

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import Order, Payment
from ..services import payments
from .exceptions import GatewayError, NotPayable, PaymentDeclined


@require_POST
def confirm_card(request: HttpRequest, public_id: str) -> JsonResponse:
    order = get_object_or_404(Order, public_id=public_id)
    try:
        data = json.loads(request.body or b"{}")
        payment_method = str(data["payment_method"])
        client_secret = str(data["client_secret"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("The payment details were incomplete. Please try again.")}, status=400)
    payment = Payment.objects.filter(order=order).first()
    if payment is None or not secrets.compare_digest(payment.client_secret, client_secret):
        return JsonResponse({"error": _("This payment does not belong to this order.")}, status=403)
    try:
        intent = payments.confirm_card(order=order, payment_method=payment_method)
    except PaymentDeclined as error:
        return JsonResponse({"error": error.message}, status=402)
    except NotPayable as error:
        return JsonResponse({"error": error.message}, status=409)
    except GatewayError as error:
        return JsonResponse({"error": error.message}, status=503)
    return JsonResponse({"status": intent.status})
