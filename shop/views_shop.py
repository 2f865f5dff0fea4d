"""The shopper's pages (/<lang>/winkelen/…): thin — parse input, call one service or selector, render.

The cart of an anonymous visitor is found by its token in the session (`SESSION_CART`, per area); once the
visitor is signed in, the first shop page they open merges that cart into their own (`cart.merge_carts`).
The order page works for the order's account, or with the signed token of the e-mail's link (`?t=…`); for
anyone else it does not exist (404). The same goes for cancelling an unpaid order there. The orders a guest placed
are remembered in the session (`SESSION_ORDERS`), so the cart can lead back to one left unpaid.

The checkout page shows what the order will cost as the form stands (`checkout.quote_order`): on every render, and
for the page's script as the total's fragment alone (POST with `preview`, `?fragment=total`); without the script
the "Update the total" button posts `preview` and gets the whole page back. A preview never places an order.
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
SESSION_ORDERS = "shop_orders_{area}"


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
    form = AddToCartForm(request.POST or None, variants=page.variants, available=page.available)
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


def _unpaid_orders(request) -> list:
    """The visitor's orders in this area still waiting for payment: their own, and those placed in this browser."""
    area = _area(request)
    user = request.user if request.user.is_authenticated else None
    orders = selectors.unpaid_orders(
        area, user=user, public_ids=request.session.get(SESSION_ORDERS.format(area=area.pk), [])
    )
    return [(placed, _order_url(placed)) for placed in orders]


def _remember_order(request, placed) -> None:
    key = SESSION_ORDERS.format(area=placed.area_id)
    known = [public_id for public_id in request.session.get(key, []) if public_id != placed.public_id]
    request.session[key] = [*known, placed.public_id][-20:]


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
    context = _base(request, summary=summary, errors=errors, unpaid=_unpaid_orders(request))
    return render(request, "shop/shop/cart.html", context)


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
    preview = request.method == "POST" and "preview" in request.POST
    if request.method == "POST" and not preview and form.is_valid():
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
            _remember_order(request, placed)
            return redirect(_order_url(placed))
    quote = checkout_service.quote_order(
        area=area,
        goods_by_merchant={part.merchant: part.goods_cents for part in summary.parts},
        fulfilment=form.draft_fulfilment(),
        gift_card=form.draft_gift_card(),
        voucher_code=form.draft_voucher_code(),
        user=user,
    )
    context = _base(request, summary=summary, form=form, quote=quote, unpaid=_unpaid_orders(request))
    if preview and request.GET.get("fragment") == "total":
        return render(request, "shop/shop/_checkout_total.html", context)
    if preview:
        # The whole page again with the total as the form stands; its fields are not judged yet.
        context["form"] = CheckoutForm(
            initial=form.draft() | {"request_key": request.POST.get("request_key"), **_contact_draft(request)},
            summary=summary,
            area=area,
            user=user,
            gift_card_cents=gift_card_cents,
        )
    return render(request, "shop/shop/checkout.html", context)


def _contact_draft(request) -> dict:
    return {name: request.POST.get(name, "") for name in ("name", "email", "phone")}


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
    pending = found.status == OrderStatus.PENDING
    context = _base(
        request,
        order=found,
        payment=payment if pending else None,
        return_url=request.build_absolute_uri(),
        token=token or "",
        now=timezone.now(),
        deadline=selectors.payment_deadline(found) if pending else None,
        shared_ride=sum(1 for part in found.part_list if part.delivery_cents) > 1,
    )
    return render(request, "shop/shop/order.html", context)


@require_http_methods(["POST"])
def cancel_order(request, public_id):
    """The shopper cancels their unpaid order (the order page's button); its items go back in the cart."""
    area = _area(request)
    token = request.POST.get("t") or request.GET.get("t")
    found = selectors.order_for_customer(public_id, user=request.user, token=token, area=area)
    if found is None:
        raise Http404
    try:
        checkout_service.cancel_unpaid_order(order=found, cart=_cart(request, create=True))
    except ShopError as error:
        messages.error(request, error.message)
        return redirect(_order_url(found))
    messages.success(
        request,
        _(
            "Order %(number)s is cancelled. Its items are back in your cart; a voucher or gift card value "
            "is back on your pass."
        )
        % {"number": found.public_id},
    )
    return redirect("shop:cart")


@login_required
@require_http_methods(["GET"])
def my_orders(request):
    area = _area(request)
    return render(request, "shop/shop/my_orders.html", _base(request, orders=selectors.orders_of(request.user, area)))
