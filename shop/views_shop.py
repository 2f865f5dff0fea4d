"""The shopper's pages (/<lang>/winkelen/…): thin — parse input, call one service or selector, render.

The cart of an anonymous visitor is found by its token in the session (`SESSION_CART`, per area); once the
visitor is signed in, the first shop page they open merges that cart into their own (`cart.merge_carts`).
The order page works for the order's account, or with the signed token of the e-mail's link (`?t=…`); for
anyone else it does not exist (404).
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import selectors
from .exceptions import ShopError
from .forms import AddToCartForm, CartLineForm, CheckoutForm
from .models import OrderStatus
from .services import cart as carts
from .services import checkout as checkout_service
from .services import loyalty_bridge

logger = logging.getLogger(__name__)

SESSION_CART = "shop_cart_{area}"


def shop_entry_is_visible(request) -> bool:
    """The "Shop" navigation entry: on every area's site (no query on every page; the shop says when it is
    closed)."""
    return bool(getattr(request, "area", None))


def my_orders_entry_is_visible(request) -> bool:
    return request.user.is_authenticated and bool(getattr(request, "area", None))


def _area(request):
    area = getattr(request, "area", None)
    if not area:  # a lazy object: None inside when no area serves this host
        raise Http404(_("No shop here."))
    return getattr(area, "_wrapped", area)


def _cart(request, *, create: bool = False):
    """The visitor's cart in this area (the anonymous one merged into the member's after login)."""
    area = _area(request)
    key = SESSION_CART.format(area=area.pk)
    token = request.session.get(key)
    if request.user.is_authenticated:
        if token:
            carts.merge_carts(area=area, user=request.user, token=token)
            del request.session[key]
        return carts.cart_for(area=area, user=request.user, create=create)
    found = carts.cart_for(area=area, token=token, create=create) if (token or create) else None
    if found is not None and str(found.token) != token:
        request.session[key] = str(found.token)
    return found


def _base(request, **context) -> dict:
    return {"area": _area(request), "cart_count": selectors.cart_count(_cart(request)), **context}


@require_http_methods(["GET"])
def shop_home(request):
    area = _area(request)
    query = (request.GET.get("q") or "").strip()[:100]
    context = _base(request, query=query, **selectors.shop_home(area))
    if query:
        context["results"] = selectors.search_products(area, query)
    else:
        context["products"] = list(selectors.sellable_products(area).order_by("-created_at", "pk")[:12])
    return render(request, "shop/shop/home.html", context)


@require_http_methods(["GET"])
def category(request, slug):
    area = _area(request)
    found, products = selectors.products_in_category(area, slug)
    if found is None:
        raise Http404
    page = selectors.page_of(products, request.GET.get("page"))
    return render(request, "shop/shop/list.html", _base(request, title=_category_name(found), page=page))


def _category_name(found) -> str:
    return found.name_en if translation.get_language() == "en" and found.name_en else found.name_nl


@require_http_methods(["GET"])
def merchant(request, merchant_slug):
    from areas.models import Merchant

    area = _area(request)
    shopkeeper = Merchant.objects.filter(area=area, slug=merchant_slug).first()
    if shopkeeper is None:
        raise Http404
    page = selectors.page_of(selectors.merchant_products(shopkeeper), request.GET.get("page"))
    if not page.object_list:
        raise Http404
    return render(
        request,
        "shop/shop/list.html",
        _base(request, title=shopkeeper.trade_name, merchant=shopkeeper, page=page),
    )


@require_http_methods(["GET", "POST"])
def product(request, merchant_slug, product_slug):
    area = _area(request)
    page = selectors.product_page(area, merchant_slug, product_slug)
    if page is None:
        raise Http404
    form = AddToCartForm(request.POST or None, variants=page.variants)
    if request.method == "POST" and form.is_valid():
        try:
            carts.add_to_cart(
                cart=_cart(request, create=True),
                variant_id=form.cleaned_data["variant"],
                quantity=form.cleaned_data["quantity"],
            )
        except ShopError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Added to your cart."))
            return redirect(request.path)
    return render(request, "shop/shop/product.html", _base(request, page=page, product=page.product, form=form))


@require_http_methods(["GET", "POST"])
def box(request, slug):
    area = _area(request)
    found, items, price, available = selectors.local_box(area, slug)
    if found is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            carts.add_box_to_cart(cart=_cart(request, create=True), box=found)
        except ShopError as problem:
            error = problem.message
        else:
            messages.success(request, _("The box is in your cart."))
            return redirect("shop:cart")
    context = _base(request, box=found, items=items, price=price, available=available, error=error)
    return render(request, "shop/shop/box.html", context)


@require_http_methods(["GET", "POST"])
def cart(request):
    found = _cart(request)
    errors = []
    if request.method == "POST" and found is not None:
        form = CartLineForm(request.POST)
        if form.is_valid():
            quantity = 0 if "remove" in request.POST else form.cleaned_data["quantity"]
            try:
                carts.set_quantity(cart=found, line_id=form.cleaned_data["line"], quantity=quantity)
            except ShopError as error:
                errors.append(error.message)
            else:
                return redirect("shop:cart")
        else:
            errors.append(_("Choose a quantity from 0 to 99."))
    summary = selectors.cart_summary(found)
    return render(request, "shop/shop/cart.html", _base(request, summary=summary, errors=errors))


@require_http_methods(["GET", "POST"])
def checkout(request):
    area = _area(request)
    found = _cart(request)
    summary = selectors.cart_summary(found)
    if summary.is_empty:
        return redirect("shop:cart")
    user = request.user if request.user.is_authenticated else None
    gift_card_cents = loyalty_bridge.gift_card_balance(user=user, area=area) if user else 0
    form = CheckoutForm(request.POST or None, summary=summary, area=area, user=user, gift_card_cents=gift_card_cents)
    if request.method == "POST" and form.is_valid():
        try:
            placed = checkout_service.place_order(
                cart=found,
                contact=form.contact(translation.get_language() or "nl"),
                fulfilment=form.fulfilment(),
                gift_card=form.gift_card(),
                voucher_code=form.cleaned_data.get("voucher_code", ""),
                request_key=form.cleaned_data["request_key"],
                user=user,
            )
        except ShopError as error:
            form.add_error(None, error.message)
        else:
            return redirect(_order_url(placed))
    return render(request, "shop/shop/checkout.html", _base(request, summary=summary, form=form))


def _order_url(placed) -> str:
    url = reverse("shop:order", kwargs={"public_id": placed.public_id})
    return f"{url}?t={selectors.order_token(placed)}"


def _payment_for(placed):
    """The order's payment for the payment step: confirmed from the redirect first (the webhook may not have come
    yet; `confirm_from_redirect` re-fetches the intent), started when missing (idempotent on `pi:<order>`)."""
    from .payments import PaymentError
    from .services import payments

    if placed.status != OrderStatus.PENDING:
        return None
    try:
        return payments.confirm_from_redirect(order=placed) or payments.start_payment(order=placed)
    except PaymentError as error:
        logger.warning("Payment of %s not available now: %s", placed.public_id, error)
        return None


@require_http_methods(["GET"])
def order(request, public_id):
    area = _area(request)
    token = request.GET.get("t")
    found = selectors.order_for_customer(public_id, user=request.user, token=token, area=area)
    if found is None:
        raise Http404
    payment = _payment_for(found)
    if payment is not None:
        found = selectors.order_for_customer(public_id, user=request.user, token=token, area=area)
    context = _base(
        request,
        order=found,
        payment=payment if found.status == OrderStatus.PENDING else None,
        return_url=request.build_absolute_uri(),
        token=token or "",
        now=timezone.now(),
    )
    return render(request, "shop/shop/order.html", context)


@login_required
@require_http_methods(["GET"])
def my_orders(request):
    area = _area(request)
    return render(request, "shop/shop/my_orders.html", _base(request, orders=selectors.orders_of(request.user, area)))
