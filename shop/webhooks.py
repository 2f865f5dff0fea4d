"""Stripe's webhook endpoint: verify the signature on the raw body, store the event once, answer at once.

The work happens in `process_webhook_event_task` (queued after commit); a bad signature is refused with
400 and nothing is stored. Stripe retries anything but 2xx, so the view answers 200 also for events we
do not handle.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .payments.exceptions import InvalidSignature
from .services import payments


@csrf_exempt  # Stripe signs the body instead; there is no session or form
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        payments.receive_webhook(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except InvalidSignature as error:
        return HttpResponseBadRequest(error.message)
    return HttpResponse("ok")
