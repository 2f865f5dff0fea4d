"""Machine endpoints of the payment side (no language prefix): Stripe's webhook and the stand-in card confirm."""

from django.urls import path

from .. import webhooks
from . import views

app_name = "shop_payments"

urlpatterns = [
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
    path("pay/<str:public_id>/card/", views.confirm_card, name="confirm_card"),
]
