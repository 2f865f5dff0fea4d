"""The payment element's settings, for `shop/payments/payment_element.html`.

Include the template where an order is paid: `{% include "shop/payments/payment_element.html" with
payment=payment return_url=url %}` (or `{% payment_element payment url %}`). It loads Stripe.js from
`settings.STRIPE_JS_URL` (Stripe's, or localstripe's stand-in in the demo) and `shop/payment.js`, which works
with both.
"""

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def payment_config(payment) -> dict:
    return {
        "stripe_js_url": settings.STRIPE_JS_URL,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "card_url": reverse("shop_payments:confirm_card", args=[payment.order.public_id]),
    }


@register.inclusion_tag("shop/payments/payment_element.html", takes_context=True)
def payment_element(context, payment, return_url: str):
    return {"csrf_token": context.get("csrf_token"), "payment": payment, "return_url": return_url}
