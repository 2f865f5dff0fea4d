"""Settlement pages under /<lang>/afrekening/: a merchant's statement (page, CSV, PDF, issuing) and the
collective's overview of an area (page, CSV).

Who sees what (accounts.permissions): a merchant's statements need `loyalty.view_settlement` (the area's
manager, the merchant's owner); people who may not even view the merchant get a 404, its staff a 403. The
overview needs `loyalty.view_settlement_overview` on the area (its manager); issuing a statement needs
`loyalty.issue_settlement` on the area (also its manager), and recording that an issued statement was paid
`loyalty.record_settlement_payment` on the area (its manager, from the overview).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import can, get_for_action_or_404, visible
from agora.exceptions import ApplicationError
from agora.money import format_euros
from areas.models import Merchant, ShoppingArea

from . import settlement_documents as documents
from .forms_settlement import PaymentForm, PeriodForm
from .services import settlement
from .views import private

STATEMENT_ACTION = "loyalty.view_settlement"
OVERVIEW_ACTION = "loyalty.view_settlement_overview"
#: Detail rows shown on the page; the CSV has them all.
PAGE_DETAIL_ROWS = 200


def _merchant(request, merchant_pk: int) -> Merchant:
    return get_for_action_or_404(
        request.user,
        STATEMENT_ACTION,
        Merchant.objects.select_related("area"),
        view_action="merchant.view",
        pk=merchant_pk,
    )


def _area(request, area_ref: str) -> ShoppingArea:
    lookup = {"pk": int(area_ref)} if area_ref.isdigit() else {"slug": area_ref}
    return get_for_action_or_404(
        request.user, OVERVIEW_ACTION, ShoppingArea.objects.all(), view_action="area.view", **lookup
    )


def _period_form(request, area) -> PeriodForm:
    return PeriodForm(request.GET, default_month=timezone.localdate(timezone=area.tz))


def _is_month(first: date, last: date) -> bool:
    return (
        first.day == 1 and (last + timedelta(days=1)).day == 1 and (first.year, first.month) == (last.year, last.month)
    )


def _period_query(first: date, last: date) -> str:
    if _is_month(first, last):
        return urlencode({"month": f"{first:%Y-%m}"})
    return urlencode({"first": first.isoformat(), "last": last.isoformat()})


def _months_around(first: date) -> dict:
    previous = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return {"previous_month": f"{previous:%Y-%m}", "next_month": f"{following:%Y-%m}"}


def _bad_period(form: PeriodForm) -> HttpResponse:
    errors = [str(error) for errors in form.errors.values() for error in errors]
    return HttpResponseBadRequest(" ".join(errors), content_type="text/plain; charset=utf-8")


# --- Start ---------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def start(request):
    """The merchants whose statements this person may see, and the areas whose overview they may see."""
    merchants = list(
        visible(request.user, STATEMENT_ACTION, Merchant.objects.select_related("area")).order_by(
            "area__name", "trade_name"
        )[:500]
    )
    areas = list(visible(request.user, OVERVIEW_ACTION, ShoppingArea.objects.all()).order_by("name"))
    if not merchants and not areas:
        raise PermissionDenied
    if len(merchants) == 1 and not areas:
        return redirect("loyalty:settlement_statement", merchant_pk=merchants[0].pk)
    if len(areas) == 1 and all(merchant.area_id == areas[0].pk for merchant in merchants):
        # An area's manager: the overview lists every merchant with its figures and links to its statement.
        return redirect("loyalty:settlement_overview", area=areas[0].slug)
    return render(request, "loyalty/settlement/start.html", {"merchants": merchants, "areas": areas})


# --- A merchant's statement -----------------------------------------------------------------------------------------


def _line_rows(statement) -> list[dict]:
    """The statement's lines, and before and after "Points issued" the rows that explain it when campaigns gave
    points (a note: a quantity, no rate or amount)."""
    before, after = documents.points_notes(statement)

    def notes(items):
        return [
            {"label": note.label, "quantity": documents.points_text(note.points), "is_note": True} for note in items
        ]

    rows = []
    for line in statement.lines:
        if line.code == "points_issued":
            rows += notes(before)
        rows.append(
            {
                "label": line.label,
                "quantity": documents.line_quantity(line),
                "rate": documents.line_rate(line),
                "amount": format_euros(line.amount_cents),
                "amount_cents": line.amount_cents,
            }
        )
        if line.code == "points_issued":
            rows += notes(after)
    return rows


@login_required
@require_GET
def statement(request, merchant_pk: int):
    """The statement of a period: issued (stored numbers) or a live draft, its lines, and the first detail rows."""
    merchant = _merchant(request, merchant_pk)
    area = merchant.area
    form = _period_form(request, area)
    context = {"merchant": merchant, "area_of_merchant": area, "form": form}
    if not form.is_valid():
        return private(render(request, "loyalty/settlement/statement.html", context, status=400))
    first, last = form.period
    current = settlement.get_statement(merchant=merchant, first_day=first, last_day=last)
    rows = settlement.statement_detail_rows(merchant=merchant, first_day=first, last_day=last)
    try:
        shown = list(itertools.islice(rows, PAGE_DETAIL_ROWS + 1))
    finally:
        rows.close()
    late = None
    if current.stored:
        live = settlement.merchant_quantities(merchant, first, last)
        late = live if live != current.quantities else None
    context.update(
        {
            "statement": current,
            "lines": _line_rows(current),
            "net": format_euros(current.net_cents),
            "net_in_words": documents.net_in_words(current.net_cents),
            "campaign_note": documents.campaign_note() if any(documents.points_notes(current)) else "",
            "status": documents.status_text(current),
            "payment_text": documents.payment_text(current),
            "details": [
                {
                    "row": row,
                    "source": documents.detail_source(row),
                    "kind": documents.detail_kind(row),
                    "campaign_payer": documents.campaign_payer(row),
                    "vouchers": format_euros(row.voucher_cents) if row.voucher_cents else "",
                    "gift_cards": format_euros(row.giftcard_cents) if row.giftcard_cents else "",
                }
                for row in shown[:PAGE_DETAIL_ROWS]
            ],
            "more_details": len(shown) > PAGE_DETAIL_ROWS,
            "late_rows": late,
            "period_query": _period_query(first, last),
            "can_issue": current.is_draft and current.is_closed and can(request.user, settlement.ISSUE_ACTION, area),
            "registration_label": documents.registration_label(area),
            "first": first,
            "last": last,
            **_months_around(first),
        }
    )
    return private(render(request, "loyalty/settlement/statement.html", context))


def _filename(merchant, first: date, last: date, extension: str) -> str:
    return f"afrekening-{merchant.slug}-{first:%Y%m%d}-{last:%Y%m%d}.{extension}"


@login_required
@require_GET
def statement_csv(request, merchant_pk: int):
    """The statement and every detail row as CSV (streamed; see settlement_documents for the format)."""
    merchant = _merchant(request, merchant_pk)
    form = _period_form(request, merchant.area)
    if not form.is_valid():
        return _bad_period(form)
    first, last = form.period
    current = settlement.get_statement(merchant=merchant, first_day=first, last_day=last)
    rows = settlement.statement_detail_rows(merchant=merchant, first_day=first, last_day=last)
    response = StreamingHttpResponse(documents.statement_csv(current, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(merchant, first, last, "csv")}"'
    return private(response)


@login_required
@require_GET
def statement_pdf(request, merchant_pk: int):
    """The statement on one A4 page."""
    merchant = _merchant(request, merchant_pk)
    form = _period_form(request, merchant.area)
    if not form.is_valid():
        return _bad_period(form)
    first, last = form.period
    current = settlement.get_statement(merchant=merchant, first_day=first, last_day=last)
    response = HttpResponse(documents.statement_pdf(current), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(merchant, first, last, "pdf")}"'
    return private(response)


@login_required
@require_POST
def issue(request, merchant_pk: int):
    """Issue the statement of a closed period (the area's manager): stored once, with today's rates."""
    merchant = _merchant(request, merchant_pk)
    if not can(request.user, settlement.ISSUE_ACTION, merchant.area):
        raise PermissionDenied
    form = PeriodForm(request.POST, default_month=timezone.localdate(timezone=merchant.area.tz))
    if not form.is_valid():
        return _bad_period(form)
    first, last = form.period
    try:
        stored = settlement.issue_statement(merchant=merchant, first_day=first, last_day=last, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Statement %(number)s has been issued.") % {"number": stored.number})
    url = reverse("loyalty:settlement_statement", kwargs={"merchant_pk": merchant.pk})
    return redirect(f"{url}?{_period_query(first, last)}")


@login_required
@require_POST
def record_payment(request, merchant_pk: int):
    """Record that the merchant's issued statement of the period was paid (the area's manager), then back to the
    overview with a message. Recording it again shows the payment recorded first."""
    merchant = _merchant(request, merchant_pk)
    area = merchant.area
    if not can(request.user, settlement.PAYMENT_ACTION, area):
        raise PermissionDenied
    period = PeriodForm(request.POST, default_month=timezone.localdate(timezone=area.tz))
    if not period.is_valid():
        return _bad_period(period)
    first, last = period.period
    back = f"{reverse('loyalty:settlement_overview', kwargs={'area': area.slug})}?{_period_query(first, last)}"
    form = PaymentForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[name].label}: {error}" if name in form.fields else error)
        return redirect(back)
    current = settlement.get_statement(merchant=merchant, first_day=first, last_day=last)
    asked = (form.cleaned_data["paid_on"], form.cleaned_data["reference"].strip())
    try:
        payment = settlement.record_payment(statement=current, paid_on=asked[0], reference=asked[1], by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        values = {"number": current.number, "merchant": merchant.trade_name, "payment": documents.payment_text(current)}
        if (payment.paid_on, payment.reference, payment.recorded_by_id) == (*asked, request.user.pk):
            messages.success(request, _("Statement %(number)s of %(merchant)s: %(payment)s.") % values)
        else:
            # Someone (perhaps this person, in another tab) recorded it first: say what stands.
            messages.warning(
                request,
                _("The payment of statement %(number)s of %(merchant)s was recorded already: %(payment)s.") % values,
            )
    return redirect(back)


# --- The collective's overview ----------------------------------------------------------------------------------------


@login_required
@require_GET
def overview(request, area: str):
    """Every merchant's statement for a period, the totals, and the gift-card float."""
    area_ = _area(request, area)
    form = _period_form(request, area_)
    context = {"overview_area": area_, "form": form}
    if not form.is_valid():
        return private(render(request, "loyalty/settlement/overview.html", context, status=400))
    first, last = form.period
    result = settlement.settlement_overview(area=area_, first_day=first, last_day=last)
    codes = [code for code, *_rest in settlement.LINE_DEFINITIONS]
    today = timezone.localdate(timezone=area_.tz)
    context.update(
        {
            "overview": result,
            "headers": documents.amount_headers(),
            "rows": [
                {
                    "merchant": row.merchant,
                    "status": documents.short_status(row.statement),
                    "is_draft": row.statement.is_draft,
                    "campaign_points": documents.points_text(row.statement.campaign_points.collective),
                    "amounts": [format_euros(row.amounts[code]) for code in codes],
                    "net": format_euros(row.statement.net_cents),
                    "payment": documents.short_payment(row.statement),
                }
                for row in result.rows
                if not row.has_nothing_to_settle
            ],
            # A draft of nothing but zeros is one name in a list below the table, not a row: early in a month the
            # table would be forty rows of € 0,00. (The CSV keeps every merchant.)
            "quiet": [row.merchant for row in result.rows if row.has_nothing_to_settle],
            # The issued statements, each with its payment (and for the manager, the form to record it).
            "payments": [
                {
                    "merchant": row.merchant,
                    "number": row.statement.number,
                    "net_in_words": documents.net_in_words(row.statement.net_cents),
                    "payment": documents.short_payment(row.statement),
                    "is_open": row.statement.payment_status == settlement.OPEN,
                    "earliest": settlement.payment_days(area_, row.statement.stored)[0],
                }
                for row in result.rows
                if row.statement.stored
            ],
            "can_record_payments": can(request.user, settlement.PAYMENT_ACTION, area_),
            "today": today,
            "open_labels": documents.open_labels(this_period=True),
            "open_to_collective": format_euros(result.open_to_collective_cents),
            "open_to_merchants": format_euros(result.open_to_merchants_cents),
            "total_campaign_points": documents.points_text(result.total_campaign_points.collective),
            "totals": [format_euros(result.totals[code]) for code in codes],
            "net": format_euros(result.net_cents),
            "giftcards_sold": format_euros(result.giftcards_sold_cents),
            "giftcards_outstanding": format_euros(result.giftcards_outstanding_cents),
            "period_query": _period_query(first, last),
            "first": first,
            "last": last,
            **_months_around(first),
        }
    )
    # Open ones first, each with its form; those paid or with nothing to pay folded away (a phone shows forty).
    context["open_payments"] = [item for item in context["payments"] if item["is_open"]]
    context["settled_payments"] = [item for item in context["payments"] if not item["is_open"]]
    context.update(_open_elsewhere(area_, first, last))
    return private(render(request, "loyalty/settlement/overview.html", context))


def _period_text(first: date, last: date) -> str:
    if _is_month(first, last):
        return date_format(first, "YEAR_MONTH_FORMAT")
    return documents.period_text(first, last)


def _open_elsewhere(area, first: date, last: date) -> dict:
    """What issued statements of the other periods still leave to pay, each way, and each such statement with a
    link to its period's overview (where its payment is recorded)."""
    statements = settlement.open_statements(area=area, excluding=(first, last))
    to_collective, to_merchants = documents.owed_each_way(statements)
    return {
        "open_elsewhere": [
            {
                "merchant": statement.merchant,
                "number": statement.number,
                "period": _period_text(statement.first_day, statement.last_day),
                "net_in_words": documents.net_in_words(statement.net_cents),
                "url": f"?{_period_query(statement.first_day, statement.last_day)}#payment-{statement.merchant_id}",
            }
            for statement in statements
        ],
        "open_elsewhere_labels": documents.open_labels(this_period=False),
        "open_elsewhere_to_collective": format_euros(to_collective),
        "open_elsewhere_to_merchants": format_euros(to_merchants),
    }


@login_required
@require_GET
def overview_csv(request, area: str):
    area_ = _area(request, area)
    form = _period_form(request, area_)
    if not form.is_valid():
        return _bad_period(form)
    first, last = form.period
    result = settlement.settlement_overview(area=area_, first_day=first, last_day=last)
    open_elsewhere = settlement.open_statements(area=area_, excluding=(first, last))
    response = StreamingHttpResponse(
        documents.overview_csv(result, open_elsewhere), content_type="text/csv; charset=utf-8"
    )
    filename = f"afrekening-overzicht-{area_.slug}-{first:%Y%m%d}-{last:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return private(response)
