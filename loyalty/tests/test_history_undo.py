"""The member's history says an undo as the till does: the money goes back (−€ 20,00) and the purchase it undid is
marked as undone, in the history's one query."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from loyalty import selectors, services

from .factories import award, key
from .rewards_helpers import give_points, make_reward

pytestmark = pytest.mark.django_db


def history_lines(client) -> list[str]:
    """Each line of the history page as a reader sees it (tags gone, spaces folded)."""
    with translation.override("nl"):
        page = client.get(reverse("loyalty:history")).content.decode()
    items = re.findall(r'<li class="history__item[^"]*">(.*?)</li>', page, flags=re.S)
    # Folds the markup's spaces, keeping the no-break space between the euro sign and the amount.
    return [re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", item))).strip() for item in items]


def undo(merchant, purchase, *, by, at):
    return services.undo_till_transaction(
        merchant=merchant, transaction_id=purchase.transaction_id, request_key=key(), by=by, now=at
    )


def test_an_undone_purchase_is_marked_and_its_undo_takes_the_amount_back(client, merchant, cashier, member_pass, now):
    # given: a purchase of € 20,00 undone at the till, one of € 7,50 partly refunded, and one left alone
    undone = award(merchant, member_pass, 2000, at=now - timedelta(minutes=30), by=cashier)
    undo(merchant, undone, by=cashier, at=now - timedelta(minutes=29))
    refunded = award(merchant, member_pass, 750, at=now - timedelta(minutes=20), by=cashier)
    services.refund_purchase(
        merchant=merchant,
        transaction_id=refunded.transaction_id,
        refund_cents=250,
        request_key=key(),
        by=cashier,
        now=now - timedelta(minutes=19),
    )
    award(merchant, member_pass, 1000, at=now - timedelta(minutes=10), by=cashier)
    client.force_login(member_pass.member)

    # when
    lines = history_lines(client)

    # then: newest first; money taken back is negative, as on the till's list
    assert [line.split(" · ")[0] for line in lines] == [
        "Aankoop",
        "Retour",
        "Aankoop",
        "Aankoop ongedaan gemaakt",
        "Aankoop",
    ]
    assert "\u2212€\u00a020,00" in lines[3] and "Aankoop ongedaan gemaakt" in lines[3]
    assert "\u2212€\u00a02,50" in lines[1]
    # only the undone purchase carries the note; a refund does not undo a purchase
    assert lines[4].endswith("€\u00a020,00 Ongedaan gemaakt")
    assert [line for line in lines if "Ongedaan gemaakt" in line and "ongedaan" not in line] == [lines[4]]
    assert "\u2212" not in lines[4]  # the purchase's own line keeps its positive amount and points


def test_the_undo_marks_cost_no_query_per_row(merchant, cashier, member_pass, now, django_assert_num_queries):
    # given: five purchases, three of them undone
    purchases = [
        award(merchant, member_pass, 1000 + n, at=now - timedelta(minutes=50 - n), by=cashier) for n in range(5)
    ]
    for n, purchase in enumerate(purchases[:3]):
        undo(merchant, purchase, by=cashier, at=now - timedelta(minutes=40 - n))

    # when
    with django_assert_num_queries(1):
        entries = selectors.pass_history(member_pass).entries

    # then: the three undone purchases are marked, their undos are not (they are the reversal), nor the others
    purchase_ids = {purchase.transaction_id for purchase in purchases}
    assert len(purchase_ids) == 5
    marked = [entry for entry in entries if entry["is_undone"]]
    assert sorted(entry["amount_cents"] for entry in marked) == [1000, 1001, 1002]
    assert all(entry["kind"] == "earn" for entry in marked)
    assert sorted(entry["amount_cents"] for entry in entries if entry["kind"] == "reverse") == [-1002, -1001, -1000]


def test_a_reward_given_back_on_an_undo_carries_no_amount(client, area, merchant, cashier, member_pass, now):
    # given: a purchase of € 10,00 partly paid with a reward bought with points at the till, then undone
    give_points(member_pass, 500, now=now - timedelta(hours=1))
    reward = make_reward(area, title="Koffie", cost_points=100)
    purchase = award(merchant, member_pass, 1000, at=now - timedelta(minutes=5), by=cashier, reward_id=reward.pk)
    undo(merchant, purchase, by=cashier, at=now - timedelta(minutes=4))
    client.force_login(member_pass.member)

    # when
    lines = history_lines(client)

    # then: the reward's points come back on a line of their own, without the purchase's amount (as when it was
    # bought); the purchase's undo takes the amount back
    [reward_back] = [line for line in lines if line.startswith("Beloning ongedaan gemaakt")]
    assert "€" not in reward_back
    [purchase_back] = [line for line in lines if line.startswith("Aankoop ongedaan gemaakt")]
    assert "\u2212€" in purchase_back
