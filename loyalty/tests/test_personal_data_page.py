"""The personal-data page ("Alles wat we over je bewaren") shows the pass's data as the app does: money in euros,
entries by the names the history gives them, card numbers and voucher codes in groups, no field that does not apply.
The JSON download keeps the stored values."""

import html
import json
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import translation

from loyalty import services
from loyalty.codes import group_card_number, group_voucher_code
from loyalty.models import VoucherKind

from .factories import award, key, manager_for, rules_for

pytestmark = pytest.mark.django_db

PAGE = "/nl/privacy/my-data/"


def section(page: str, title: str) -> tuple[list[str], list[list[str]]]:
    """The column names and the rows of cells of the page's section called `title`."""
    match = re.search(rf"<h2[^>]*>{re.escape(title)}</h2>(.*?)</section>", page, flags=re.S)
    assert match, f"no section {title!r}"
    body = match.group(1)

    def text(cell: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()

    headers = [text(cell) for cell in re.findall(r'<th scope="col">(.*?)</th>', body, flags=re.S)]
    rows = [
        [text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r"<tr>(<td>.*?)</tr>", body, flags=re.S)
    ]
    return headers, rows


def column(headers: list[str], rows: list[list[str]], name: str) -> list[str]:
    return [row[headers.index(name)] for row in rows]


@pytest.fixture
def member_with_a_history(area, merchant, cashier, member, now):
    """A member with a welcome bonus, a purchase of € 23,45 and one of € 10,00 undone, and a voucher of € 4,00."""
    rules_for(area, welcome_bonus_points=50)
    member_pass = services.join_pass(user=member, area=area, now=now - timedelta(days=1))
    award(merchant, member_pass, 2345, at=now - timedelta(hours=2), by=cashier)
    undone = award(merchant, member_pass, 1000, at=now - timedelta(minutes=5), by=cashier)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=undone.transaction_id, request_key=key(), by=cashier, now=now
    )
    voucher = services.issue_voucher(
        area=area,
        kind=VoucherKind.FIXED,
        value_cents=400,
        expires_at=now + timedelta(days=30),
        valid_from=now - timedelta(days=1),
        by=manager_for(area),
        request_key=uuid.uuid4(),
        member_pass=member_pass,
    )
    return member_pass, voucher


def test_the_page_shows_the_pass_as_the_app_does(client, member_with_a_history):
    member_pass, voucher = member_with_a_history
    client.force_login(member_pass.member)

    with translation.override("nl"):
        page = client.get(PAGE).content.decode()

    # the points: reasons as the history names them, not as stored ("welcome", or nothing for a purchase)
    headers, rows = section(page, "Puntenoverzicht")
    assert column(headers, rows, "Reden") == ["Welkomstbonus", "Aankoop", "Aankoop", "Aankoop ongedaan gemaakt"]
    assert column(headers, rows, "Punten") == ["+50", "+23", "+10", "−10"]  # signed as the history writes them
    # the till's purchases: in euros (the undo taken back), under a name without "(centen)"
    headers, rows = section(page, "Aankopen gescand aan de kassa")
    assert "Bedrag (centen)" not in headers
    assert column(headers, rows, "Bedrag") == ["€\u00a023,45", "€\u00a010,00", "\u2212€\u00a010,00"]
    # the voucher: its code as the app shows it, its value in euros, and no percentage (it is a fixed amount)
    headers, rows = section(page, "Je waardebonnen")
    assert column(headers, rows, "Code") == [group_voucher_code(voucher.code)]
    assert column(headers, rows, "Waarde") == ["€\u00a04,00"]
    assert "Percentage" not in headers
    # the pass: its card number in groups, as on the pass
    headers, rows = section(page, "Je stadspassen")
    assert column(headers, rows, "Kaartnummer") == [group_card_number(member_pass.card_number)]
    for raw in ("welcome", "2345", "1000", voucher.code, member_pass.card_number):
        assert raw not in page, raw


def test_a_percentage_shows_only_on_a_percentage_voucher(client, area, member_with_a_history, now):
    member_pass, _fixed = member_with_a_history
    services.issue_voucher(
        area=area,
        kind=VoucherKind.PERCENT,
        percent=15,
        expires_at=now + timedelta(days=30),
        valid_from=now - timedelta(days=1),
        by=manager_for(area),
        request_key=uuid.uuid4(),
        member_pass=member_pass,
    )
    client.force_login(member_pass.member)

    with translation.override("nl"):
        headers, rows = section(client.get(PAGE).content.decode(), "Je waardebonnen")

    # a dash where a field does not apply: a fixed voucher has no percentage, a percentage one no value of its own
    assert column(headers, rows, "Percentage") == ["—", "15%"]
    assert column(headers, rows, "Waarde") == ["€\u00a04,00", "—"]


def test_the_download_keeps_the_stored_values_under_lower_case_names(client, member_with_a_history):
    member_pass, voucher = member_with_a_history
    client.force_login(member_pass.member)

    with translation.override("nl"):
        data = json.loads(client.get(PAGE, {"format": "json"}).content)["data"]

    assert data["loyalty.ledgerentry"]["rows"][0]["reason"] == "welcome"
    assert [row["amount_cents"] for row in data["loyalty.tilltransaction"]["rows"]] == [2345, 1000, -1000]
    assert data["loyalty.tilltransaction"]["fields"]["amount_cents"] == "bedrag (centen)"  # what the numbers are
    [stored] = data["loyalty.voucher"]["rows"]
    assert (stored["code"], stored["value_cents"], stored["percent"]) == (voucher.code, 400, 0)
    assert data["loyalty.pass"]["rows"][0]["card_number"] == member_pass.card_number


def test_entries_are_listed_by_when_they_happened_not_by_when_they_were_written(
    client, area, merchant, cashier, member, now
):
    # given: the later purchase is written first (a till that was offline sends its scans late, the demo seeds so)
    member_pass = services.join_pass(user=member, area=area, now=now - timedelta(days=30))
    award(merchant, member_pass, 1000, at=now - timedelta(days=1), by=cashier, code=member_pass.card_number)
    award(merchant, member_pass, 2000, at=now - timedelta(days=20), by=cashier, code=member_pass.card_number)
    client.force_login(member)

    with translation.override("nl"):
        headers, rows = section(client.get(PAGE).content.decode(), "Aankopen gescand aan de kassa")

    assert column(headers, rows, "Bedrag") == ["€\u00a020,00", "€\u00a010,00"]
