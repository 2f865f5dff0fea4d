"""Settlement pages: who may see which statement, the period parameters, CSV and PDF, issuing, the overview."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory
from loyalty import services
from loyalty.models import GiftCardEntryKind, SettlementStatement

from .factories import cashier_for, person_with, rules_for
from .test_settlement import at, gift_card, giftcard_entry, reward, till_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MAY = {"month": "2026-05"}


@pytest.fixture
def may(merchant, member_pass, cashier):
    """May 2026 at the merchant: 250 points issued, 100 collective points redeemed, € 20 gift card taken."""
    area = merchant.area
    rules_for(area, issue_fee_millicents_per_point=1000, redeem_refund_millicents_per_point=1500)
    till_row(merchant, member_pass, when=at(3), by=cashier, points=250, receipt_number="R-1")
    till_row(merchant, member_pass, when=at(4), by=cashier, reward=reward(area), reward_cents=350, points_spent=100)
    giftcard_entry(gift_card(area), GiftCardEntryKind.SPEND, -2000, when=at(5), merchant=merchant)
    # net: 250 ct − 150 ct − 2000 ct = −19,00 (paid out to the merchant)


def url(name, merchant_pk, **params):
    path = reverse(f"loyalty:{name}", kwargs={"merchant_pk": merchant_pk})
    return f"{path}?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else path


def parse_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def csv_fields(response) -> dict[str, list[str]]:
    """A CSV's rows by their first field (the header block's label: its values)."""
    return {row[0]: row[1:] for row in parse_csv(response) if row}


def euros(text: str) -> int:
    return int(Decimal(text.replace(",", ".")) * 100)


# --- Who may see what ---------------------------------------------------------------------------------------


def test_the_owner_sees_the_statement_with_its_lines_and_net(client, merchant, owner, may):
    client.force_login(owner)
    response = client.get(url("settlement_statement", merchant.pk, **MAY))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Points issued" in page and "Gift cards taken" in page
    assert "€19.00 to be paid out to the merchant" in page
    assert "Draft: not issued yet" in page
    assert "R-1" in page  # the detail rows, their times day first as the page's language writes them
    assert "03/05/2026 12:00" in page and "2026-05-03" not in page
    assert "Issue this statement" not in page  # only the area's manager issues
    assert response["Cache-Control"] == "private, no-cache"


def test_staff_of_the_merchant_get_403(client, merchant):
    client.force_login(person_with(Role.MERCHANT_STAFF, merchant=merchant))
    for name in ("settlement_statement", "settlement_statement_csv", "settlement_statement_pdf"):
        assert client.get(url(name, merchant.pk, **MAY)).status_code == 403


def test_the_owner_of_another_merchant_and_the_manager_of_another_area_get_404(client, merchant, other_merchant):
    other_owner = person_with(Role.MERCHANT_OWNER, merchant=other_merchant)
    other_manager = person_with(Role.AREA_MANAGER, area=ShoppingAreaFactory())
    for person in (other_owner, other_manager):
        client.force_login(person)
        for name in ("settlement_statement", "settlement_statement_csv", "settlement_statement_pdf"):
            assert client.get(url(name, merchant.pk, **MAY)).status_code == 404
        assert client.post(url("settlement_issue", merchant.pk), MAY).status_code == 404


def test_visitors_are_sent_to_log_in(client, merchant):
    response = client.get(url("settlement_statement", merchant.pk))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


# --- The period ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month": "2026-13"}, "Enter a month as YYYY-MM"),
        ({"month": "mei"}, "Enter a month as YYYY-MM"),
        ({"first": "2026-05-01"}, "Enter both the first and the last day"),
        ({"first": "2026-05-31", "last": "2026-05-01"}, "Choose a period of whole days"),
        ({"first": "2026-05-01", "last": "2026-05-31", "month": "2026-05"}, "either a month or a first and last day"),
        ({"first": "2026-02-30", "last": "2026-03-01"}, "Enter a valid date"),
    ],
)
def test_a_wrong_period_is_refused_with_a_clear_message(client, merchant, owner, params, message):
    client.force_login(owner)
    response = client.get(url("settlement_statement", merchant.pk, **params))
    assert response.status_code == 400
    assert message in response.content.decode()
    csv_response = client.get(url("settlement_statement_csv", merchant.pk, **params))
    assert csv_response.status_code == 400 and message in csv_response.content.decode()


def test_first_and_last_day_choose_any_period(client, merchant, owner, may):
    client.force_login(owner)
    response = client.get(url("settlement_statement", merchant.pk, first="2026-05-04", last="2026-05-05"))
    assert response.status_code == 200
    statement = response.context["statement"]
    assert (statement.first_day, statement.last_day) == (date(2026, 5, 4), date(2026, 5, 5))
    assert statement.quantities.points_issued == 0 and statement.quantities.points_redeemed == 100


def test_without_a_period_the_page_shows_the_current_month_as_a_draft(client, merchant, owner):
    client.force_login(owner)
    response = client.get(url("settlement_statement", merchant.pk))
    assert response.status_code == 200
    assert "the period has not ended yet" in response.content.decode()


# --- CSV and PDF --------------------------------------------------------------------------------------------


def test_the_csv_parses_back_and_its_lines_net_and_detail_totals_match(client, merchant, owner, may):
    client.force_login(owner)
    response = client.get(url("settlement_statement_csv", merchant.pk, **MAY))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "afrekening-" in response["Content-Disposition"]
    rows = parse_csv(response)
    fields = {row[0]: row[1:] for row in rows if row}
    assert fields["Merchant"] == [merchant.trade_name]
    assert fields["KvK number"] == [merchant.registration_number]
    assert fields["Period"] == ["2026-05-01", "2026-05-31"]
    assert fields["Fee per point issued (EUR)"] == ["0,01000"]
    header = rows.index(["Line", "Quantity", "Unit", "Rate", "Amount (EUR)"])
    lines = {row[0]: row for row in rows[header + 1 : header + 6]}
    assert euros(lines["Points issued"][4]) == 250
    assert euros(lines["Points redeemed for rewards"][4]) == -150
    assert euros(lines["Gift cards taken"][4]) == -2000
    assert sum(euros(row[4]) for row in lines.values()) == euros(fields["Net (EUR)"][3]) == -1900
    # the detail rows add up to the lines' quantities
    details = rows.index(
        [
            "Time",
            "Source",
            "Reference",
            "Kind",
            "Receipt or order number",
            "Till transaction",
            "Points earned",
            "Campaign",
            "Campaign points paid by the collective (not charged)",
            "Campaign points paid by the merchant",
            "Points issued",
            "Points redeemed",
            "Vouchers of the collective (EUR)",
            "Gift cards taken (EUR)",
        ]
    )
    body = [row for row in rows[details + 1 :] if row and row[0] != "Total"]
    total = next(row for row in rows[details + 1 :] if row and row[0] == "Total")
    assert len(body) == 3
    assert sum(int(row[10]) for row in body) == int(total[10]) == int(lines["Points issued"][1]) == 250
    assert sum(int(row[11]) for row in body) == int(total[11]) == 100
    assert sum(euros(row[13]) for row in body) == euros(total[13]) == 2000


def test_the_pdf_is_one_a4_page(client, merchant, owner, may):
    client.force_login(owner)
    response = client.get(url("settlement_statement_pdf", merchant.pk, **MAY))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"/Count 1" in response.content  # one page


def test_the_pdf_of_an_issued_statement_has_its_number(client, merchant, manager, may):
    services.issue_statement(merchant=merchant, first_day=date(2026, 5, 1), last_day=date(2026, 5, 31), by=manager)
    client.force_login(manager)
    content = client.get(url("settlement_statement_pdf", merchant.pk, **MAY)).content
    assert content.startswith(b"%PDF") and b"/Count 1" in content


# --- Issuing ------------------------------------------------------------------------------------------------


def test_the_manager_issues_a_closed_period_once(client, merchant, member_pass, manager, may):
    client.force_login(manager)
    page = client.get(url("settlement_statement", merchant.pk, **MAY)).content.decode()
    assert "Issue this statement" in page

    response = client.post(url("settlement_issue", merchant.pk), {"first": "2026-05-01", "last": "2026-05-31"})
    again = client.post(url("settlement_issue", merchant.pk), MAY)

    assert response.status_code == 302 and again.status_code == 302
    stored = SettlementStatement.objects.get()
    assert (stored.net_cents, stored.number, stored.created_by) == (-1900, "000001", manager)
    page = client.get(response["Location"]).content.decode()
    assert "Issued statement 000001" in page and "Issue this statement" not in page
    # the overview's status column: the number once issued, 'Draft' for a merchant not issued yet
    other = MerchantFactory(area=merchant.area)
    till_row(other, member_pass, when=at(6), by=cashier_for(other), points=40)
    rows = client.get(overview_url(merchant.area.slug, **MAY)).context["rows"]
    assert sorted(row["status"] for row in rows) == ["000001", "Draft"]


def test_merchants_with_nothing_to_settle_are_named_below_the_table_not_rows_of_zeros(client, merchant, manager, may):
    quiet = MerchantFactory(area=merchant.area, trade_name="Kapsalon Stil")
    client.force_login(manager)
    response = client.get(overview_url(merchant.area.slug, **MAY))

    assert [row["merchant"] for row in response.context["rows"]] == [merchant]
    assert response.context["quiet"] == [quiet]
    page = response.content.decode()
    assert "1 merchant with nothing to settle in this period" in page
    assert f'href="{url("settlement_statement", quiet.pk)}?' in page
    # the totals are the same, and the CSV still has every merchant
    csv_rows = parse_csv(client.get(overview_url(merchant.area.slug, csv_=True, **MAY)))
    assert any("Kapsalon Stil" in row for row in csv_rows)


def test_a_period_with_nothing_yet_says_so(client, merchant, manager):
    client.force_login(manager)
    response = client.get(overview_url(merchant.area.slug, **MAY))
    assert response.context["rows"] == [] and response.context["quiet"] == [merchant]
    assert "Nothing to settle in this period yet." in response.content.decode()


def test_the_owner_cannot_issue(client, merchant, owner, may):
    client.force_login(owner)
    assert client.post(url("settlement_issue", merchant.pk), MAY).status_code == 403
    assert not SettlementStatement.objects.exists()


def test_an_open_period_is_not_issued_and_says_why(client, merchant, manager):
    client.force_login(manager)
    response = client.post(url("settlement_issue", merchant.pk), {}, follow=True)
    assert "only after the last day of its period" in response.content.decode()
    assert not SettlementStatement.objects.exists()


def test_a_stored_statement_is_shown_with_its_own_rates(client, merchant, manager, may):
    services.issue_statement(merchant=merchant, first_day=date(2026, 5, 1), last_day=date(2026, 5, 31), by=manager)
    rules_for(merchant.area, issue_fee_millicents_per_point=9000)
    client.force_login(manager)
    rows = parse_csv(client.get(url("settlement_statement_csv", merchant.pk, **MAY)))
    fields = {row[0]: row[1:] for row in rows if row}
    assert fields["Fee per point issued (EUR)"] == ["0,01000"]
    assert fields["Statement number"] == ["000001"]
    assert euros(fields["Net (EUR)"][3]) == -1900


# --- The overview -------------------------------------------------------------------------------------------


def overview_url(area_ref, csv_=False, **params):
    name = "loyalty:settlement_overview_csv" if csv_ else "loyalty:settlement_overview"
    path = reverse(name, kwargs={"area": area_ref})
    return f"{path}?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else path


def test_the_manager_sees_the_overview_by_slug_or_id_and_its_csv_totals_add_up(
    client, area, merchant, other_merchant, manager, member_pass, cashier, may
):
    till_row(other_merchant, member_pass, when=at(9), by=cashier, points=75)
    client.force_login(manager)
    assert client.get(overview_url(area.pk, **MAY)).status_code == 200
    response = client.get(overview_url(area.slug, **MAY))
    assert response.status_code == 200
    assert merchant.trade_name in response.content.decode()

    rows = parse_csv(client.get(overview_url(area.slug, csv_=True, **MAY)))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Merchant")
    merchants = [row for row in rows[header + 1 :] if row and row[0] != "Total"]
    total = next(row for row in rows if row and row[0] == "Total")
    assert {row[0] for row in merchants} == {merchant.trade_name, other_merchant.trade_name}
    for column in range(3, len(total)):
        parse = int if column < 5 else euros
        assert sum(parse(row[column]) for row in merchants) == parse(total[column])
    assert euros(total[-1]) == -1900 + 75


def test_the_overview_is_for_the_areas_manager_only(client, area, merchant, owner):
    client.force_login(owner)
    assert client.get(overview_url(area.slug)).status_code == 404
    client.force_login(person_with(Role.PARCEL_STAFF, area=area))
    assert client.get(overview_url(area.slug)).status_code == 403
    client.force_login(person_with(Role.AREA_MANAGER, area=ShoppingAreaFactory()))
    assert client.get(overview_url(area.slug)).status_code == 404
    assert client.get(overview_url(area.pk, csv_=True)).status_code == 404


def test_the_overview_page_takes_the_same_queries_for_more_merchants(client, area, manager, member_pass, cashier):
    client.force_login(manager)
    client.get(overview_url(area.slug, **MAY))  # warm: settings rows, session

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(overview_url(area.slug, **MAY)).status_code == 200
        return len(queries)

    before = count()
    for day in range(1, 6):
        till_row(MerchantFactory(area=area), member_pass, when=at(day), by=cashier, points=day)
    assert count() == before


def test_without_a_period_the_current_month_is_shown_and_in_its_field(client, area, merchant, manager):
    client.force_login(manager)
    this_month = timezone.localdate(timezone=area.tz).strftime("%Y-%m")
    for page_url in (url("settlement_statement", merchant.pk), overview_url(area.slug)):
        page = client.get(page_url).content.decode()
        assert f'value="{this_month}"' in page


def test_the_start_page_lists_what_the_person_may_see(client, area, merchant, manager, owner):
    client.force_login(owner)
    response = client.get(reverse("loyalty:settlement_start"))
    assert response.status_code == 302 and str(merchant.pk) in response["Location"]
    # the area's manager goes straight to the overview, which lists every merchant
    client.force_login(manager)
    response = client.get(reverse("loyalty:settlement_start"), follow=True)
    assert response.redirect_chain[0][0] == reverse("loyalty:settlement_overview", args=[area.slug])
    assert merchant.trade_name in response.content.decode()
    # someone who sees two areas chooses
    other = MerchantFactory(area=ShoppingAreaFactory())
    client.force_login(person_with(Role.PLATFORM_ADMIN))
    page = client.get(reverse("loyalty:settlement_start")).content.decode()
    assert area.name in page and other.area.name in page and merchant.trade_name in page
    client.force_login(person_with(Role.MERCHANT_STAFF, merchant=merchant))
    assert client.get(reverse("loyalty:settlement_start")).status_code == 403


# --- Formats ------------------------------------------------------------------------------------------------


def test_amounts_and_rates_are_written_for_dutch_spreadsheets():
    from loyalty.services.settlement import Quantities, Rates, statement_lines
    from loyalty.settlement_documents import csv_euros, line_rate, net_in_words, rate_euros

    assert (csv_euros(-1250), csv_euros(5), csv_euros(0)) == ("-12,50", "0,05", "0,00")
    assert rate_euros(1500) == "0,01500"
    lines = {line.code: line for line in statement_lines(Quantities(1, 1, 1, 1), Rates(1500, 1000, 25))}
    # for a spreadsheet: the file's decimal comma and "EUR", whatever the language
    assert line_rate(lines["points_issued"], spreadsheet=True) == "0,01500 EUR per point"
    assert line_rate(lines["gift_cards"], spreadsheet=True) == "100 %"
    assert line_rate(lines["gift_card_commission"], spreadsheet=True) == "2,5 %"
    assert net_in_words(-1900, spreadsheet=True) == "19,00 EUR to be paid out to the merchant"
    # on the page and in the PDF: as the site writes amounts in the active language
    assert line_rate(lines["points_issued"]) == "€0.01500 per point"
    assert line_rate(lines["gift_cards"]) == "100 %"
    assert line_rate(lines["gift_card_commission"]) == "2.5 %"
    assert net_in_words(1900) == "€19.00 to be paid to the collective"
    assert net_in_words(-1900) == "€19.00 to be paid out to the merchant"
    with translation.override("nl"):
        assert line_rate(lines["points_issued"]).startswith("€\u00a00,01500")
        assert line_rate(lines["gift_card_commission"]) == "2,5 %"
        assert net_in_words(-1900).startswith("€\u00a019,00")
        assert net_in_words(-1900, spreadsheet=True).startswith("19,00 EUR")


# --- Labels and units ---------------------------------------------------------------------------------------


def test_the_overviews_euro_columns_say_what_the_euros_are_for(client, area, merchant, manager, may):
    client.force_login(manager)
    response = client.get(overview_url(area.slug, **MAY))
    rows = parse_csv(client.get(overview_url(area.slug, csv_=True, **MAY)))

    headers = response.context["headers"]
    assert headers[:2] == ["Fee for points issued", "Refund for points redeemed for rewards"]
    assert "Points issued" not in headers
    page = response.content.decode()
    assert '<th scope="col" class="num">Fee for points issued</th>' in page
    assert response.context["rows"][0]["amounts"][:2] == ["€2.50", "−€1.50"]
    # the CSV: the counts under "Points issued", the euros under "Fee for points issued (EUR)"
    header = next(row for row in rows if row and row[0] == "Merchant")
    line = dict(zip(header, next(row for row in rows if row and row[0] == merchant.trade_name), strict=True))
    assert line["Points issued"] == "250" and line["Fee for points issued (EUR)"] == "2,50"
    assert line["Points redeemed"] == "100" and line["Refund for points redeemed for rewards (EUR)"] == "-1,50"
    assert "Points issued (EUR)" not in header


def test_the_csv_gives_the_gift_card_commission_in_percent_as_the_page_does(client, area, merchant, owner, may):
    rules_for(area, giftcard_commission_permille=25)
    client.force_login(owner)

    page = client.get(url("settlement_statement", merchant.pk, **MAY)).content.decode()
    fields = csv_fields(client.get(url("settlement_statement_csv", merchant.pk, **MAY)))

    assert "2.5 %" in page
    assert fields["Commission on gift cards (%)"] == ["2,5"]
    assert not any("‰" in label for label in fields)
    rules_for(area, giftcard_commission_permille=30)
    fields = csv_fields(client.get(url("settlement_statement_csv", merchant.pk, **MAY)))
    assert fields["Commission on gift cards (%)"] == ["3"]


def test_a_dutch_statement_calls_the_webshop_webwinkel(client, area, merchant, owner, member, member_pass):
    from loyalty.services import OnlinePurchase

    rules_for(area, points_per_euro=1, daily_cap_points=0, welcome_bonus_points=0)
    services.award_online_points(
        member=member, area=area, purchases=[OnlinePurchase(merchant.pk, 3000)], order_ref="W-7", now=at(6)
    )
    client.force_login(owner)

    with translation.override("nl"):
        response = client.get(url("settlement_statement", merchant.pk, **MAY))
        rows = parse_csv(client.get(url("settlement_statement_csv", merchant.pk, **MAY)))

    # the detail row's source, on the page and in the CSV, as the Dutch pages say it everywhere
    (detail,) = response.context["details"]
    page = response.content.decode()
    assert f"Webwinkel #{detail['row'].reference}" in page
    assert "Webshop" not in page
    assert [row[1] for row in rows if len(row) > 4 and row[4] == "W-7"] == ["Webwinkel"]
