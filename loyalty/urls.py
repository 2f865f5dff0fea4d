"""The member app (/<lang>/mijn/…) and the merchant till (/<lang>/kassa/…)."""

from django.urls import include, path

from . import views

app_name = "loyalty"
urlpatterns = [
    # Member app: everything under mijn/, so the service worker's scope covers it and nothing else.
    path("mijn/", views.pass_screen, name="pass"),
    path("mijn/join/", views.join, name="join"),
    path("mijn/history/", views.history, name="history"),
    path("mijn/cadeaukaart/", views.gift_card_history, name="gift_card_history"),
    path("mijn/card/", views.card, name="card"),
    path("mijn/profiel/", views.profile, name="profile"),
    path("mijn/kwijt/", views.lost_pass, name="lost_pass"),
    path("mijn/key/", views.pass_key, name="pass_key"),
    path("mijn/sw.js", views.service_worker, name="service_worker"),
    path("mijn/manifest.webmanifest", views.manifest, name="manifest"),
    path("mijn/icon.svg", views.icon, name="icon"),
    path("mijn/icon-<int:size>.png", views.icon_png, name="icon_png"),
    # Till
    path("kassa/", views.till_start, name="till_start"),
    path("kassa/<int:merchant_pk>/", views.till, name="till"),
    path("kassa/<int:merchant_pk>/undo/", views.till_undo, name="till_undo"),
    path("kassa/<int:merchant_pk>/dag/", views.till_day, name="till_day"),
    path("kassa/<int:merchant_pk>/refund/", views.till_refund, name="till_refund"),
    # Rewards, vouchers and campaigns (member app and management), the collective's desk (gift cards),
    # settlement statements, the manager's rewards catalogue: each in its own module.
    path("", include("loyalty.urls_rewards")),
    path("", include("loyalty.urls_desk")),
    path("", include("loyalty.urls_settlement")),
    path("", include("loyalty.urls_campaigns")),
    path("", include("loyalty.urls_manage_rewards")),
    path("", include("loyalty.urls_corrections")),
]
