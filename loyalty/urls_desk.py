"""URLs of the loyalty app's desk pages and the till's gift-card screen (included by loyalty.urls, in its namespace)."""

from django.urls import path

from . import views_desk

urlpatterns: list = [
    # The collective's desk: gift cards.
    path("balie/", views_desk.desk_start, name="desk_start"),
    path("balie/<int:area_pk>/cadeaukaart/", views_desk.desk_sell, name="desk_sell"),
    path("balie/<int:area_pk>/cadeaukaart/zoeken/", views_desk.desk_lookup, name="desk_lookup"),
    path("balie/<int:area_pk>/cadeaukaart/<int:card_pk>/", views_desk.desk_gift_card, name="desk_gift_card"),
    path(
        "balie/<int:area_pk>/cadeaukaart/<int:card_pk>/blokkeren/",
        views_desk.desk_block_gift_card,
        name="desk_block_gift_card",
    ),
    path(
        "balie/<int:area_pk>/cadeaukaart/<int:card_pk>/deblokkeren/",
        views_desk.desk_unblock_gift_card,
        name="desk_unblock_gift_card",
    ),
    path(
        "balie/<int:area_pk>/cadeaukaart/<int:card_pk>/pincode-vrijgeven/",
        views_desk.desk_clear_gift_card_pin_lock,
        name="desk_clear_gift_card_pin_lock",
    ),
    # The till: paying with a gift card by its number and PIN.
    path("kassa/<int:merchant_pk>/cadeaukaart/", views_desk.till_gift_card, name="till_gift_card"),
    path("cadeaukaart/saldo/", views_desk.gift_card_balance, name="gift_card_balance"),
    path("kassa/<int:merchant_pk>/cadeaukaart/undo/", views_desk.till_gift_card_undo, name="till_gift_card_undo"),
]
