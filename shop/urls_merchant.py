"""The merchant's webshop pages: /<lang>/winkel-beheer/<merchant>/… (included in the root's i18n patterns)."""

from django.urls import path

from . import views_merchant as views

app_name = "shop_merchant"

urlpatterns = [
    path("winkel-beheer/", views.start, name="start"),
    path("winkel-beheer/<int:merchant_pk>/bestellingen/", views.queue, name="queue"),
    path("winkel-beheer/<int:merchant_pk>/bestellingen/paklijst/", views.pick_list, name="pick_list"),
    path("winkel-beheer/<int:merchant_pk>/bestellingen/<int:part_pk>/", views.part_detail, name="part"),
    path(
        "winkel-beheer/<int:merchant_pk>/bestellingen/<int:part_pk>/accepteren/", views.part_accept, name="part_accept"
    ),
    path("winkel-beheer/<int:merchant_pk>/bestellingen/<int:part_pk>/klaar/", views.part_ready, name="part_ready"),
    path(
        "winkel-beheer/<int:merchant_pk>/bestellingen/<int:part_pk>/overdragen/",
        views.part_hand_over,
        name="part_hand_over",
    ),
    path(
        "winkel-beheer/<int:merchant_pk>/bestellingen/<int:part_pk>/regel/<int:line_pk>/niet-leverbaar/",
        views.line_unavailable,
        name="line_unavailable",
    ),
    path("winkel-beheer/<int:merchant_pk>/producten/", views.product_list, name="products"),
    path("winkel-beheer/<int:merchant_pk>/producten/nieuw/", views.product_edit, name="product_new"),
    path("winkel-beheer/<int:merchant_pk>/producten/importeren/", views.product_import, name="product_import"),
    path(
        "winkel-beheer/<int:merchant_pk>/producten/importeren/bevestigen/",
        views.product_import_confirm,
        name="product_import_confirm",
    ),
    path("winkel-beheer/<int:merchant_pk>/producten/export.csv", views.product_export, name="product_export"),
    path("winkel-beheer/<int:merchant_pk>/producten/sjabloon.csv", views.product_template, name="product_template"),
    path("winkel-beheer/<int:merchant_pk>/producten/<int:product_pk>/", views.product_edit, name="product_edit"),
    path(
        "winkel-beheer/<int:merchant_pk>/producten/<int:product_pk>/actief/",
        views.product_active,
        name="product_active",
    ),
    path("winkel-beheer/<int:merchant_pk>/producten/<int:product_pk>/fotos/", views.photo_add, name="photo_add"),
    path(
        "winkel-beheer/<int:merchant_pk>/producten/<int:product_pk>/fotos/<int:photo_pk>/verwijderen/",
        views.photo_remove,
        name="photo_remove",
    ),
    path("winkel-beheer/<int:merchant_pk>/uitbetalingen/", views.payouts, name="payouts"),
    path("winkel-beheer/<int:merchant_pk>/uitbetalingen/starten/", views.payouts_start, name="payouts_start"),
    path("winkel-beheer/<int:merchant_pk>/overzicht/", views.statement, name="statement"),
    path("winkel-beheer/<int:merchant_pk>/overzicht/csv/", views.statement_csv, name="statement_csv"),
    path("winkel-beheer/<int:merchant_pk>/overzicht/pdf/", views.statement_pdf, name="statement_pdf"),
]
