"""The merchant's webshop pages under /<lang>/winkel-beheer/<merchant>/…: products (with photos, CSV import and
export), the order queue with the pick list, payouts (Stripe onboarding) and statements.

Who sees what (accounts.permissions, actions in `shop/apps.py`): products need `shop.manage_products`, the queue
`shop.fulfil_orders` (the merchant's owner and staff), statements `shop.view_shop_statements` (the owner, the area's
manager), payouts `shop.manage_payouts` (the owner). A person who may not act for the merchant gets a 404 (the
page does not tell which merchants exist); another merchant's product or order part is a 404 too, because every
read is narrowed to the merchant of the URL. Each view parses input, calls one service or selector, renders.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import (
    can,
    get_for_action_or_404,
    is_platform_admin,
    memberships_of,
    registered_actions,
    visible,
)
from agora.exceptions import ApplicationError
from areas.models import Merchant

from . import selectors_merchant as selectors
from . import statement_documents as documents
from .exceptions_merchant import ImportAlreadyRun, ImportExpired, ImportInvalid, InvalidProduct
from .forms_merchant import (
    ConfirmImportForm,
    HandOverForm,
    ImportForm,
    PeriodForm,
    PhotoForm,
    ProductForm,
    UnavailableForm,
    VariantForm,
    VariantFormSet,
)
from .models import Category, MerchantOrderStatus, MerchantShop, OrderLine, ProductImage
from .services import fulfilment, imports, products, statements

PRODUCTS = "shop.manage_products"
ORDERS = "shop.fulfil_orders"
STATEMENTS = "shop.view_shop_statements"
PAYOUTS = "shop.manage_payouts"
ACTIONS = {"orders": ORDERS, "products": PRODUCTS, "statements": STATEMENTS, "payouts": PAYOUTS}
IMPORT_PREVIEW_ROWS = 200


def merchant_entry_is_visible(request) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    # from the request's cached memberships: no query on every page
    roles = registered_actions()[ORDERS].roles | registered_actions()[STATEMENTS].roles
    return is_platform_admin(user) or any(m["role"] in roles for m in memberships_of(user))


def _merchant(request, merchant_pk: int, action: str) -> Merchant:
    # view_action = action: whoever may not do it for this merchant gets a 404, not a 403.
    merchant = get_for_action_or_404(
        request.user, action, Merchant.objects.select_related("area"), view_action=action, pk=merchant_pk
    )
    merchant.allowed = {key: can(request.user, name, merchant) for key, name in ACTIONS.items()}
    return merchant


def _ctx(merchant, section: str, **extra) -> dict:
    return {"merchant": merchant, "allowed": merchant.allowed, "section": section, **extra}


def _private(response):
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_GET
def start(request):
    """The merchants this person works for: straight to the one, or a choice."""
    merchants = {
        m.pk: m
        for action in (ORDERS, STATEMENTS)
        for m in visible(request.user, action, Merchant.objects.select_related("area"))
    }
    if not merchants:
        raise PermissionDenied
    if len(merchants) == 1:
        (merchant,) = merchants.values()
        if can(request.user, ORDERS, merchant):
            return redirect("shop_merchant:queue", merchant_pk=merchant.pk)
        return redirect("shop_merchant:statement", merchant_pk=merchant.pk)
    ordered = sorted(merchants.values(), key=lambda m: (m.area.name, m.trade_name))[:500]
    for merchant in ordered:
        page = "queue" if can(request.user, ORDERS, merchant) else "statement"
        merchant.start_url = reverse(f"shop_merchant:{page}", kwargs={"merchant_pk": merchant.pk})
    return render(request, "shop/merchant/start.html", {"merchants": ordered})


# --- Products ----------------------------------------------------------------------------------------------------


PRODUCTS_PAGE = 100


@login_required
@require_GET
def product_list(request, merchant_pk: int):
    """The merchant's products by title, a hundred a page, with how many there are in all."""
    merchant = _merchant(request, merchant_pk, PRODUCTS)
    query = request.GET.get("q", "").strip()[:80]
    page = Paginator(selectors.list_products(merchant=merchant, query=query), PRODUCTS_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "shop/merchant/products.html",
        _ctx(merchant, "products", page=page, products=page.object_list, query=query),
    )


def _product_forms(request, merchant, product=None):
    categories = Category.objects.filter(area=merchant.area)
    kwargs = {"vat_rates": products.vat_rates_for(merchant), "categories": categories}
    if request.method == "POST":
        return ProductForm(request.POST, **kwargs), VariantFormSet(request.POST, prefix="variants")
    if product is None:
        initial = {"vat_rate_bps": products.vat_rates_for(merchant)[0], "is_active": True, "request_key": uuid.uuid4()}
        return ProductForm(initial=initial, **kwargs), VariantFormSet(prefix="variants", initial=[{"stock_on_hand": 0}])
    variants = [VariantForm.initial_for(v) for v in product.variants.all()]
    return ProductForm(initial=ProductForm.initial_for(product), **kwargs), VariantFormSet(
        prefix="variants", initial=variants
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request, merchant_pk: int, product_pk: int | None = None):
    merchant = _merchant(request, merchant_pk, PRODUCTS)
    product = None
    if product_pk is not None:
        product = selectors.get_product(merchant=merchant, pk=product_pk)
        if product is None:
            raise Http404
    form, formset = _product_forms(request, merchant, product)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        variants = [
            v
            for v in (f.to_input() for f in formset.forms)
            if v is not None and (v.id or v.label or v.stock_on_hand or v.sku)
        ]
        if not variants and product is None:
            variants = [products.VariantInput()]
        try:
            saved = products.save_product(
                merchant=merchant,
                by=request.user,
                data=form.to_input(variants),
                product=product,
                request_key=form.cleaned_data["request_key"] if product is None else None,
            )
        except InvalidProduct as error:
            for name, message in getattr(error, "errors", {}).items():
                field = {"price_cents": "price", "vat_rate_bps": "vat_rate_bps", "variants": None}.get(name, name)
                form.add_error(field if field in form.fields else None, message)
            if not getattr(error, "errors", None):
                form.add_error(None, error.message)
        else:
            messages.success(request, _("“%(title)s” is saved.") % {"title": saved.title_nl})
            return redirect("shop_merchant:product_edit", merchant_pk=merchant.pk, product_pk=saved.pk)
    return render(
        request,
        "shop/merchant/product_form.html",
        _ctx(merchant, "products", product=product, form=form, formset=formset, photo_form=PhotoForm()),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def product_active(request, merchant_pk: int, product_pk: int):
    merchant = _merchant(request, merchant_pk, PRODUCTS)
    product = selectors.get_product(merchant=merchant, pk=product_pk)
    if product is None:
        raise Http404
    active = request.POST.get("active") == "1"
    products.set_product_active(product=product, by=request.user, is_active=active)
    if active:
        messages.success(request, _("“%(title)s” is in the shop again.") % {"title": product.title_nl})
    else:
        messages.success(request, _("“%(title)s” is taken out of the shop.") % {"title": product.title_nl})
    return redirect("shop_merchant:product_edit", merchant_pk=merchant.pk, product_pk=product.pk)


@login_required
@require_POST
def photo_add(request, merchant_pk: int, product_pk: int):
    merchant = _merchant(request, merchant_pk, PRODUCTS)
    product = selectors.get_product(merchant=merchant, pk=product_pk)
    if product is None:
        raise Http404
    if int(request.META.get("CONTENT_LENGTH") or 0) > products.MAX_PHOTO_BYTES + 64 * 1024:
        # said before the upload is read and stored (the page's script already says so before sending it)
        messages.error(request, _("The photo is larger than 5 MB."))
        return redirect("shop_merchant:product_edit", merchant_pk=merchant.pk, product_pk=product.pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            products.add_photo(product=product, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The photo is added."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("shop_merchant:product_edit", merchant_pk=merchant.pk, product_pk=product.pk)


@login_required
@require_POST
def photo_remove(request, merchant_pk: int, product_pk: int, photo_pk: int):
    merchant = _merchant(request, merchant_pk, PRODUCTS)
    photo = (
        ProductImage.objects.select_related("product__merchant")
        .filter(pk=photo_pk, product_id=product_pk, product__merchant=merchant)
        .first()
    )
    if photo is None:
        raise Http404
    products.remove_photo(photo=photo, by=request.user)
    messages.success(request, _("The photo is removed."))
    return redirect("shop_merchant:product_edit", merchant_pk=merchant.pk, product_pk=product_pk)


# --- CSV import and export ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def product_import(request, merchant_pk: int):
    """Upload → check → preview (nothing written yet); the checked file waits for the confirmation under a token."""
    merchant = _merchant(request, merchant_pk, PRODUCTS)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = _ctx(merchant, "products", form=form, columns=imports.COLUMNS, preview_slice=f":{IMPORT_PREVIEW_ROWS}")
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read(imports.MAX_BYTES + 1)
        plan = imports.check_import(merchant=merchant, by=request.user, content=content)
        context |= {"plan": plan, "more_products": max(len(plan.products) - IMPORT_PREVIEW_ROWS, 0)}
        if plan.token:
            context["confirm_form"] = ConfirmImportForm(initial={"token": plan.token})
        return render(request, "shop/merchant/import.html", context, status=400 if plan.errors else 200)
    return render(request, "shop/merchant/import.html", context)


def _import_done_message(result) -> str:
    parts = [
        ngettext("%(count)s new product", "%(count)s new products", result.created) % {"count": result.created},
        ngettext("%(count)s product updated", "%(count)s products updated", result.updated) % {"count": result.updated},
    ]
    if result.unchanged:
        parts.append(
            ngettext("%(count)s product unchanged", "%(count)s products unchanged", result.unchanged)
            % {"count": result.unchanged}
        )
    return _("Imported: %(what)s.") % {"what": ", ".join(parts)}


@login_required
@require_POST
def product_import_confirm(request, merchant_pk: int):
    merchant = _merchant(request, merchant_pk, PRODUCTS)
    form = ConfirmImportForm(request.POST)
    if not form.is_valid():
        messages.error(request, ImportExpired.default_message)
        return redirect("shop_merchant:product_import", merchant_pk=merchant.pk)
    try:
        result = imports.run_import(merchant=merchant, by=request.user, token=form.cleaned_data["token"])
    except ImportInvalid as error:
        # the catalogue changed since the preview: show the new errors, nothing was written
        plan = imports.ImportPlan(errors=error.errors)
        context = _ctx(merchant, "products", form=ImportForm(), plan=plan, columns=imports.COLUMNS)
        return render(request, "shop/merchant/import.html", context, status=400)
    except ImportAlreadyRun as error:  # a second click on "Import now": the first one is doing it
        messages.info(request, error.message)
        return redirect("shop_merchant:products", merchant_pk=merchant.pk)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("shop_merchant:product_import", merchant_pk=merchant.pk)
    messages.success(request, _import_done_message(result))
    return redirect("shop_merchant:products", merchant_pk=merchant.pk)


@login_required
@require_GET
def product_export(request, merchant_pk: int):
    merchant = _merchant(request, merchant_pk, PRODUCTS)
    rows = imports.export_products_csv(selectors.products_for_export(merchant=merchant).iterator(chunk_size=500))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate(timezone=merchant.area.tz).isoformat()
    response["Content-Disposition"] = f'attachment; filename="producten-{merchant.slug}-{stamp}.csv"'
    return _private(response)


@login_required
@require_GET
def product_template(request, merchant_pk: int):
    _merchant(request, merchant_pk, PRODUCTS)
    response = HttpResponse("".join(imports.template_csv()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="producten-sjabloon.csv"'
    return response


# --- The order queue ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request, merchant_pk: int):
    """One step of the merchant's order queue, a hundred parts a page, with how many there are in all (the
    handed-over and cancelled history grows without end)."""
    merchant = _merchant(request, merchant_pk, ORDERS)
    status = request.GET.get("status", MerchantOrderStatus.NEW)
    if status not in selectors.QUEUE_STATUSES:
        status = MerchantOrderStatus.NEW
    page = Paginator(selectors.order_queue(merchant=merchant, status=status), selectors.QUEUE_PAGE).get_page(
        request.GET.get("page")
    )
    parts = page.object_list
    counts = selectors.queue_counts(merchant=merchant)
    tabs = [
        {"status": s, "label": MerchantOrderStatus(s).label, "count": counts[s], "current": s == status}
        for s in selectors.QUEUE_STATUSES
    ]
    shop = MerchantShop.objects.filter(merchant=merchant).first()
    from .services import onboarding

    by_stripe = onboarding.connect_available()
    return _private(
        render(
            request,
            "shop/merchant/queue.html",
            _ctx(merchant, "orders", page=page, parts=parts, tabs=tabs, status=status, shop=shop, by_stripe=by_stripe),
        )
    )


def _part(request, merchant, part_pk: int):
    part = selectors.get_part(merchant=merchant, pk=part_pk)
    if part is None:
        raise Http404
    return part


@login_required
@require_GET
def part_detail(request, merchant_pk: int, part_pk: int):
    merchant = _merchant(request, merchant_pk, ORDERS)
    part = _part(request, merchant, part_pk)
    lines = list(part.lines.all())
    for line in lines:
        # One at a time unless the merchant says more: a mis-tap at the counter must not refund a whole line.
        line.unavailable_form = UnavailableForm(initial={"request_key": uuid.uuid4(), "quantity": 1})
        line.available = line.quantity - line.unavailable_quantity
    from .services import money, onboarding

    refunded = money.refunded_of_part(part).total
    context = _ctx(
        merchant,
        "orders",
        part=part,
        lines=lines,
        refunded_cents=refunded,
        total_cents=part.goods_cents + part.delivery_cents - refunded,
        handover_form=HandOverForm(),
        handover_to=fulfilment.HANDOVER_TO.get(part.fulfilment),
        is_open=part.status in fulfilment.OPEN_STATUSES,
        payout_route=onboarding.payout_route(merchant) if part.status == MerchantOrderStatus.HANDED_OVER else "",
    )
    return _private(render(request, "shop/merchant/part.html", context))


def _part_action(request, merchant_pk: int, part_pk: int, call, success: str):
    merchant = _merchant(request, merchant_pk, ORDERS)
    part = _part(request, merchant, part_pk)
    try:
        call(part)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success % {"order": part.order.public_id})
    return redirect("shop_merchant:part", merchant_pk=merchant.pk, part_pk=part.pk)


@login_required
@require_POST
def part_accept(request, merchant_pk: int, part_pk: int):
    return _part_action(
        request, merchant_pk, part_pk, lambda part: fulfilment.accept_part(part=part, by=request.user),
        _("Order %(order)s is accepted."),
    )  # fmt: skip


@login_required
@require_POST
def part_ready(request, merchant_pk: int, part_pk: int):
    return _part_action(
        request, merchant_pk, part_pk, lambda part: fulfilment.mark_ready(part=part, by=request.user),
        _("Order %(order)s is ready."),
    )  # fmt: skip


@login_required
@require_POST
def part_hand_over(request, merchant_pk: int, part_pk: int):
    form = HandOverForm(request.POST)
    code = form.cleaned_data["pickup_code"] if form.is_valid() else ""
    to = request.POST.get("to", "")
    done = (
        _("Order %(order)s is on its way to the parcel point.")
        if to == "parcel_point"
        else _("Order %(order)s is handed over.")
    )
    return _part_action(
        request, merchant_pk, part_pk,
        lambda part: fulfilment.hand_over_part(part=part, by=request.user, to=to, pickup_code=code),
        done,
    )  # fmt: skip


@login_required
@require_POST
def line_unavailable(request, merchant_pk: int, part_pk: int, line_pk: int):
    merchant = _merchant(request, merchant_pk, ORDERS)
    part = _part(request, merchant, part_pk)
    line = OrderLine.objects.filter(pk=line_pk, part=part).first()
    if line is None:
        raise Http404
    form = UnavailableForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter how many are unavailable."))
        return redirect("shop_merchant:part", merchant_pk=merchant.pk, part_pk=part.pk)
    data = form.cleaned_data
    try:
        if not data["confirmed"]:
            # First step: say what goes back before anything is written; the second POST carries the same key.
            amount = fulfilment.unavailable_refund(line=line, quantity=data["quantity"], by=request.user)
            confirm = UnavailableForm(initial={**data, "confirmed": True})
            context = _ctx(merchant, "orders", part=part, line=line, form=confirm, quantity=data["quantity"])
            context["amount"] = documents.format_euros(amount)
            return _private(render(request, "shop/merchant/unavailable_confirm.html", context))
        refund = fulfilment.mark_line_unavailable(
            line=line,
            quantity=data["quantity"],
            by=request.user,
            request_key=data["request_key"],
            reason=data["reason"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        from .services import refunds

        amount = {"amount": documents.format_euros(refund.amount_cents)}
        if refunds.is_sent(refund):
            messages.success(request, _("Marked unavailable; %(amount)s is refunded to the customer.") % amount)
        else:
            # Written, not yet confirmed by Stripe: the reconciliation job sends it. Nothing to do again here.
            messages.success(
                request,
                _("Marked unavailable; the refund of %(amount)s will be sent to the customer. Nothing more to do.")
                % amount,
            )
    return redirect("shop_merchant:part", merchant_pk=merchant.pk, part_pk=part.pk)


@login_required
@require_GET
def pick_list(request, merchant_pk: int):
    """Printable: one page per part (`?part=1&part=2`, or every accepted part when none is given)."""
    merchant = _merchant(request, merchant_pk, ORDERS)
    # ASCII digits of a size the database takes: an edited URL ("?part=²", twenty nines) is an empty list, not a 500
    ids = [int(v) for v in request.GET.getlist("part") if v.isascii() and v.isdigit() and len(v) <= 18][:200]
    if not ids:
        ids = list(
            selectors.order_queue(merchant=merchant, status=MerchantOrderStatus.ACCEPTED).values_list("pk", flat=True)[
                :200
            ]
        )
    parts = selectors.parts_for_pick_list(merchant=merchant, ids=ids)
    from parcels.manifests import barcode_svg

    for part in parts:
        # Never the customer's pickup code: the sheet goes with the bag, and the code is the customer's proof at
        # the handover. A parcel-point part gets the label the point's intake scans.
        if part.fulfilment == "parcel_point":
            part.parcel_code = fulfilment.parcel_code_for(part)
            part.parcel_barcode = barcode_svg(part.parcel_code)
    return _private(render(request, "shop/merchant/pick_list.html", _ctx(merchant, "orders", parts=parts)))


# --- Payouts ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def payouts(request, merchant_pk: int):
    from .services import onboarding

    merchant = _merchant(request, merchant_pk, PAYOUTS)
    shop = MerchantShop.objects.filter(merchant=merchant).first()
    if request.GET.get("returned") and shop and shop.stripe_account_id:
        try:
            onboarding.refresh_account(merchant=merchant)
        except ApplicationError as error:
            messages.error(request, error.message)
        shop.refresh_from_db()
    context = _ctx(merchant, "payouts", shop=shop, by_stripe=onboarding.connect_available())
    return _private(render(request, "shop/merchant/payouts.html", context))


@login_required
@require_POST
def payouts_start(request, merchant_pk: int):
    merchant = _merchant(request, merchant_pk, PAYOUTS)
    from .services import onboarding

    here = request.build_absolute_uri(reverse("shop_merchant:payouts", kwargs={"merchant_pk": merchant.pk}))
    try:
        link = onboarding.start_onboarding(
            merchant=merchant, by=request.user, return_url=f"{here}?returned=1", refresh_url=here
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("shop_merchant:payouts", merchant_pk=merchant.pk)
    return redirect(link)


# --- Statements ------------------------------------------------------------------------------------------------


def _statement(request, merchant_pk: int):
    merchant = _merchant(request, merchant_pk, STATEMENTS)
    form = PeriodForm(request.GET)
    first, last = form.period(timezone.localdate(timezone=merchant.area.tz))
    return merchant, statements.merchant_statement(merchant=merchant, first_day=first, last_day=last, by=request.user)


@login_required
@require_GET
def statement(request, merchant_pk: int):
    from datetime import timedelta

    merchant, current = _statement(request, merchant_pk)
    previous = (current.first_day - timedelta(days=1)).strftime("%Y-%m")  # PeriodForm keeps these in range
    following = (current.last_day + timedelta(days=1)).strftime("%Y-%m")
    totals = [{"label": label, "amount": documents.format_euros(cents)} for label, cents in documents.totals(current)]
    vat = [
        {
            "rate": products.percent(r.rate_bps),
            "gross": documents.format_euros(r.gross_cents),
            "net": documents.format_euros(r.net_cents),
            "vat": documents.format_euros(r.vat_cents),
        }
        for r in current.vat
    ]
    vat_total = {
        "gross": documents.format_euros(sum(r.gross_cents for r in current.vat)),
        "net": documents.format_euros(sum(r.net_cents for r in current.vat)),
        "vat": documents.format_euros(current.vat_cents),
    }
    rows = [
        {
            "row": row,
            "sales": documents.format_euros(row.sales_cents),
            "refunded": documents.format_euros(row.refunded_cents),
            "commission": documents.format_euros(row.commission_cents),
            "transferred": documents.format_euros(row.transferred_cents),
            "collective": documents.format_euros(row.collective_cents),
            "own_voucher": documents.format_euros(-row.own_voucher_cents) if row.own_voucher_cents else "",
            "outstanding": documents.format_euros(row.outstanding_cents),
        }
        for row in current.rows[:300]
    ]
    context = _ctx(
        merchant,
        "statement",
        statement=current,
        totals=totals,
        vat=vat,
        vat_total=vat_total,
        sales=documents.format_euros(current.sales_cents),
        refunded=documents.format_euros(current.refunded_cents),
        rows=rows,
        more_rows=len(current.rows) > 300,
        month=current.first_day.strftime("%Y-%m"),
        previous=previous,
        following=following,
    )
    return _private(render(request, "shop/merchant/statement.html", context))


@login_required
@require_GET
def statement_csv(request, merchant_pk: int):
    merchant, current = _statement(request, merchant_pk)
    response = StreamingHttpResponse(documents.statement_csv(current), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="webwinkel-{merchant.slug}-{current.first_day:%Y-%m}.csv"'
    return _private(response)


@login_required
@require_GET
def statement_pdf(request, merchant_pk: int):
    merchant, current = _statement(request, merchant_pk)
    response = HttpResponse(documents.statement_pdf(current), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="webwinkel-{merchant.slug}-{current.first_day:%Y-%m}.pdf"'
    return _private(response)
