"""The shopper's pages, under the language prefix (/<lang>/winkelen/…, /<lang>/mijn/bestellingen/)."""

from django.urls import path

from . import views_shop

app_name = "shop"

urlpatterns = [
    path("winkelen/", views_shop.shop_home, name="home"),
    path("winkelen/categorie/<slug:slug>/", views_shop.category, name="category"),
    path("winkelen/winkel/<slug:merchant_slug>/", views_shop.merchant, name="merchant"),
    path("winkelen/product/<slug:merchant_slug>/<slug:product_slug>/", views_shop.product, name="product"),
    path("winkelen/pakket/<slug:slug>/", views_shop.box, name="box"),
    path("winkelen/winkelwagen/", views_shop.cart, name="cart"),
    path("winkelen/afrekenen/", views_shop.checkout, name="checkout"),
    path("winkelen/bestelling/<str:public_id>/", views_shop.order, name="order"),
    path("winkelen/bestelling/<str:public_id>/annuleren/", views_shop.cancel_order, name="cancel_order"),
    path("mijn/bestellingen/", views_shop.my_orders, name="my_orders"),
]
