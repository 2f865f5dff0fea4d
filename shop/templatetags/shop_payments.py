"""`{% payment_element payment return_url %}`: the payment form for an order's PaymentIntent.

Renders `shop/payments/payment_element.html` with Stripe.js from `settings.STRIPE_JS_URL` (Stripe's, or
localstripe's stand-in in the demo) and `shop/payment.js`, which works with both.
"""

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("shop/payments/payment_element.html", takes_context=True)
def payment_element(context, payment, return_url: str):
    return {
        "request": context.get("request"),
        "payment": payment,
        "return_url": return_url,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "card_url": reverse("shop_payments:confirm_card", args=[payment.order.public_id]),
        "amount": payment.amount_cents / 100,
    }
