"""Settlement statements show the campaign points: a till receipt's points can be more than the statement charges
(the collective pays for the points of its own campaigns), and the page, the CSV, the PDF and the collective's
overview say how many and who pays for them, adding up to the points issued, so the net is explained to the cent.
And the English statement writes its rate, amounts and days as the rest of the site does."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from loyalty import services
from loyalty.models import Funder, GiftCardEntryKind
from loyalty.services.settlement import get_statement
from loyalty.settlement_documents import statement_pdf

from .factories import rules_for
from .test_settlement import at, campaign, gift_card, giftcard_entry, till_row, webshop_entry
from .test_settlement_payments import issued, pay, pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MAY = {"month": "2026-05"}
MAY_DAYS = (date(2026, 5, 1), date(2026, 5, 31))


def url(name, merchant_pk, **params):
    path = reverse(f"loyalty:{name}", kwargs={"merchant_pk": merchant_pk})
    return f"{path}?{'&'.join(f'{k}={v}' for k, v in params.items())}"


def overview_url(area, csv_=False):
    name = "loyalty:settlement_overview_csv" if csv_ else "loyalty:settlement_overview"
    return f"{reverse(name, kwargs={'area': area.slug})}?month=2026-05"


def parse_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


@pytest.fixture
def campaigns_in_may(merchant, member_pass, cashier):
    """May 2026 at the merchant, fee 1 ct a point: receipts of 38 (19 from the collective's "Versweken") and 64
    (32 from it), 30 (15 from the merchant's own campaign), 10 without a campaign, and a webshop order of 36 (18 from
    "Versweken"). Earned 178; the collective pays for 69 of them; 109 issued (charged): € 1,09."""
    area = merchant.area
    rules_for(area, issue_fee_millicents_per_point=1000, redeem_refund_millicents_per_point=1000)
    ours = campaign(area, Funder.COLLECTIVE)
    ours.name = "Versweken"
    ours.save()
    theirs = campaign(area, Funder.MERCHANT)
    till_row(merchant, member_pass, when=at(3), by=cashier, points=38, campaign=ours, campaign_points=19)
    till_row(merchant, member_pass, when=at(4), by=cashier, points=64, campaign=ours, campaign_points=32)
    till_row(merchant, member_pass, when=at(5), by=cashier, points=30, campaign=theirs, campaign_points=15)
    till_row(merchant, member_pass, when=at(6), by=cashier, points=10)
    webshop_entry(member_pass, +1, [(merchant, 36, ours, 18)], when=at(7))
    giftcard_entry(gift_card(area), GiftCardEntryKind.SPEND, -1250, when=at(8), merchant=merchant)
    return ours


def test_the_statement_page_shows_the_points_earned_and_the_collectives_campaign_points(
    client, merchant, owner, campaigns_in_may
):
    client.force_login(owner)
    response = client.get(url("settlement_statement", merchant.pk, **MAY))
    lines = {line["label"]: line for line in response.context["lines"]}
    page = response.content.decode()

    # the receipts' points, less what the collective pays for, are the points charged
    assert lines["Points earned (as on the receipts and orders)"]["quantity"] == "178"
    assert lines["Campaign points paid by the collective: not charged"]["quantity"] == "\u221269"
    assert lines["Points issued"]["quantity"] == "109" and lines["Points issued"]["amount"] == "€1.09"
    assert lines["of which campaign points paid by the merchant"]["quantity"] == "15"
    assert "The collective pays for the points of its own campaigns" in page
    # each receipt: its points, the campaign and who pays for it, the points charged
    details = {item["row"].points_earned: item for item in response.context["details"] if item["row"].points_earned}
    assert (details[38]["row"].campaign_points.collective, details[38]["row"].points_issued) == (19, 19)
    assert details[38]["campaign_payer"] == "the collective"
    assert details[30]["campaign_payer"] == "the merchant" and details[30]["row"].points_issued == 30
    assert "Versweken, paid by the collective" in page


def test_the_csv_traces_the_campaign_points_of_every_receipt_to_the_cent(client, merchant, owner, campaigns_in_may):
    client.force_login(owner)
    rows = parse_csv(client.get(url("settlement_statement_csv", merchant.pk, **MAY)))
    fields = {row[0]: row[1:] for row in rows if row}

    assert fields["Points earned (as on the receipts and orders)"][:2] == ["178", "points"]
    assert fields["Campaign points paid by the collective: not charged"][:2] == ["-69", "points"]
    assert fields["Points issued"] == ["109", "points", "0,01000 EUR per point", "1,09"]
    assert fields["of which campaign points paid by the merchant"][:2] == ["15", "points"]
    # the detail rows: earned − the collective's campaign points = issued, row by row and in total
    header = next(row for row in rows if row and row[0] == "Time")
    details = [dict(zip(header, row, strict=True)) for row in rows[rows.index(header) + 1 :] if row]
    total = next(row for row in details if row["Time"] == "Total")
    body = [row for row in details if row["Time"] != "Total"]
    earned, collective = "Points earned", "Campaign points paid by the collective (not charged)"
    for row in body:
        assert int(row[earned]) - int(row[collective]) == int(row["Points issued"])
    assert [row["Campaign"] for row in body if row[collective] != "0"] == ["Versweken"] * 3
    assert [int(total[name]) for name in (earned, collective, "Campaign points paid by the merchant")] == [178, 69, 15]
    assert int(total["Points issued"]) == 109
    # the net: 109 points at 1 ct, less the gift card taken, to the cent
    assert fields["Net (EUR)"][3] == "-11,41"


def test_the_pdf_shows_the_campaign_points(merchant, campaigns_in_may):
    text = pdf_text(statement_pdf(get_statement(merchant=merchant, first_day=MAY_DAYS[0], last_day=MAY_DAYS[1])))
    assert "Points earned" in text and "178" in text
    assert "Campaign points paid by the collective:" in text and "69" in text
    assert "of which campaign points" in text and "15" in text


def test_an_issued_statement_keeps_its_amounts_and_shows_the_campaign_points(
    client, merchant, manager, campaigns_in_may
):
    services.issue_statement(merchant=merchant, first_day=MAY_DAYS[0], last_day=MAY_DAYS[1], by=manager)
    client.force_login(manager)
    lines = {
        line["label"]: line for line in client.get(url("settlement_statement", merchant.pk, **MAY)).context["lines"]
    }
    assert lines["Points earned (as on the receipts and orders)"]["quantity"] == "178"
    assert lines["Points issued"]["quantity"] == "109"


def test_the_overview_shows_the_collectives_campaign_points_per_merchant_and_in_total(
    client, area, merchant, other_merchant, manager, member_pass, cashier, campaigns_in_may
):
    till_row(
        other_merchant, member_pass, when=at(9), by=cashier, points=20, campaign=campaigns_in_may, campaign_points=10
    )
    client.force_login(manager)

    response = client.get(overview_url(area))
    by_merchant = {row["merchant"]: row for row in response.context["rows"]}
    assert by_merchant[merchant]["campaign_points"] == "69" and by_merchant[other_merchant]["campaign_points"] == "10"
    assert response.context["total_campaign_points"] == "79"
    assert "Campaign points of the collective" in response.content.decode()

    rows = parse_csv(client.get(overview_url(area, csv_=True)))
    header = next(row for row in rows if row and row[0] == "Merchant")
    table = {row[0]: dict(zip(header, row, strict=False)) for row in rows[rows.index(header) + 1 :] if row}
    collective = "Campaign points paid by the collective (not charged)"
    assert (table[merchant.trade_name]["Points earned"], table[merchant.trade_name][collective]) == ("178", "69")
    assert table[merchant.trade_name]["Points issued"] == "109"
    assert (table["Total"]["Points earned"], table["Total"][collective], table["Total"]["Points issued"]) == (
        "198",
        "79",
        "119",
    )
    assert table["Total"]["Campaign points paid by the merchant"] == "15"


# --- The English statement writes numbers and days as the site does -------------------------------------------


@pytest.fixture
def paid_in_may(merchant, member_pass, cashier, manager):
    """May's statement of Vishandel Kramer's figures: 468 points at 1 ct, € 18 of gift cards taken (net: € 13,32 to
    be paid out to the merchant), issued on 2 June and paid on 3 June."""
    area = merchant.area
    rules_for(area, issue_fee_millicents_per_point=1000)
    till_row(merchant, member_pass, when=at(3), by=cashier, points=468)
    giftcard_entry(gift_card(area), GiftCardEntryKind.SPEND, -1800, when=at(4), merchant=merchant)
    statement = issued(merchant, manager, 0)
    pay(statement, manager, reference="BANK-42")
    return statement


def test_the_english_page_and_pdf_write_the_rate_amounts_and_days_in_english(client, merchant, owner, paid_in_may):
    client.force_login(owner)
    page = client.get(url("settlement_statement", merchant.pk, **MAY)).content.decode()
    assert "€0.01000 per point" in page and "€4.68" in page
    assert "€ 0,01000" not in page
    assert "1 May 2026 – 31 May 2026" in page

    assert "Paid on 3 June 2026, reference BANK-42" in page and "issued on 2 June 2026" in page

    text = pdf_text(client.get(url("settlement_statement_pdf", merchant.pk, **MAY)).content)
    decoded = text.replace("\\200", "€").replace("\\226", "–")  # ReportLab writes € and – as octal escapes
    assert "0.01000 per point" in decoded and "4.68" in decoded and "€ 0,01000" not in decoded
    assert "Period: 1 May 2026 – 31 May 2026" in decoded
    assert "Paid on 3 June 2026, reference BANK-42" in decoded


def test_the_english_csv_writes_every_amount_for_a_spreadsheet(client, merchant, owner, paid_in_may):
    client.force_login(owner)
    rows = parse_csv(client.get(url("settlement_statement_csv", merchant.pk, **MAY)))
    fields = {row[0]: row[1:] for row in rows if row}

    assert fields["Points issued"] == ["468", "points", "0,01000 EUR per point", "4,68"]
    assert fields["Net (EUR)"][3] == "-13,32"
    assert fields["Net"] == ["13,32 EUR to be paid out to the merchant"]
    # no screen amount ("€13.32") anywhere in the file
    assert not any("€" in cell for row in rows for cell in row)
