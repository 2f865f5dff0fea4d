"""The history names rewards (chosen, given back, undone at the till) in the reader's language, whatever the language
the entry was written in; a manager's correction keeps the manager's words."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from loyalty import services
from loyalty.models import EntryKind, LedgerEntry

from .factories import award, key
from .rewards_helpers import give_points, make_reward

pytestmark = pytest.mark.django_db

#: Chosen in the app, given back, bought at the till and undone there (both ways), and the manager's correction.
LABELS = {
    "en": ["Reward: Koffie", "Reward given back: Koffie", "Reward undone", "Purchase undone", "Correction: test"],
    "nl": [
        "Beloning: Koffie",
        "Beloning teruggegeven: Koffie",
        "Beloning ongedaan gemaakt",
        "Aankoop ongedaan gemaakt",
        "Correctie: test",
    ],
}


def history_labels(client, language: str) -> list[str]:
    with translation.override(language):
        page = client.get(reverse("loyalty:history")).content.decode()
    return re.findall(r'class="history__what"><strong>([^<]*)</strong>', page)


@pytest.mark.parametrize("written_in, read_in", [("nl", "en"), ("en", "nl")])
def test_reward_entries_show_in_the_language_of_the_page(
    client, area, merchant, cashier, member_pass, now, written_in, read_in
):
    # given: a member who chose a reward and gave it back, and bought one at the till that was undone, all while the
    # pages spoke one language
    member = member_pass.member
    with translation.override(written_in):
        give_points(member_pass, 500, now=now - timedelta(hours=1))
        reward = make_reward(area, title="Koffie", cost_points=100)
        voucher = services.choose_reward(
            pass_id=member_pass.pk, reward_id=reward.pk, by=member, request_key=key(), now=now
        )
        services.cancel_reward_voucher(
            voucher_id=voucher.pk, by=member, request_key=key(), now=now + timedelta(minutes=1)
        )
        purchase = award(merchant, member_pass, 1000, at=now + timedelta(minutes=2), by=cashier, reward_id=reward.pk)
        services.undo_till_transaction(
            merchant=merchant,
            transaction_id=purchase.transaction_id,
            request_key=key(),
            by=cashier,
            now=now + timedelta(minutes=3),
        )
    stored = LedgerEntry.objects.get(kind=EntryKind.SPEND, till_transaction__isnull=True).reason
    assert stored == LABELS[written_in][0]  # written in the language of the moment, and kept so

    # when: the member reads the history in the other language
    client.force_login(member)
    labels = history_labels(client, read_in)

    # then: every label is in the reader's language; the reward bought at the till reads as one chosen in the app
    reward_at_till = "Reward: Koffie" if read_in == "en" else "Beloning: Koffie"
    assert sorted(labels) == sorted([*LABELS[read_in], "Purchase" if read_in == "en" else "Aankoop", reward_at_till])
    assert labels.count(reward_at_till) == 2  # chosen in the app, and bought at the till
