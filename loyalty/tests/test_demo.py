"""The demo seed's loyalty step: a pass per member and a year of till activity whose ledger adds up."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.db.models import Count, F, Q

from areas.demo import seed_demo
from loyalty import services
from loyalty.models import (
    EntryKind,
    LedgerEntry,
    LoyaltySettings,
    MerchantLoyalty,
    Pass,
    PointLot,
    TillKind,
    TillTransaction,
)
from privacy.default_purposes import ensure_default_purposes

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)


@pytest.fixture
def purposes(db):
    ensure_default_purposes()


def seed(seed=1, size="tiny", **options):
    return seed_demo(seed=seed, size=size, today=TODAY, only=["loyalty"], log=lambda _line: None, **options)


def fingerprint() -> list:
    return [
        list(Pass.objects.order_by("card_number").values_list("card_number", "member__email", "points_balance")),
        list(
            TillTransaction.objects.order_by("request_key").values_list(
                "request_key", "kind", "amount_cents", "points", "occurred_at"
            )
        ),
    ]


def test_every_member_gets_a_pass_and_the_ledger_adds_up(purposes):
    ctx = seed(size="small")
    assert Pass.objects.count() == len(ctx.members)
    assert services.check_ledger() == []
    assert LoyaltySettings.objects.count() == 2 and MerchantLoyalty.objects.count() == 6
    kinds = Counter(TillTransaction.objects.values_list("kind", flat=True))
    assert kinds[TillKind.PURCHASE] > 20 * len(ctx.members) // 2
    assert kinds[TillKind.UNDO] > 0 and kinds[TillKind.REFUND] > 0
    entries = Counter(LedgerEntry.objects.values_list("kind", flat=True))
    assert entries[EntryKind.SPEND] > 0 and entries[EntryKind.EXPIRE] > 0
    assert not Pass.objects.filter(points_balance__lt=0).exists()


def test_visits_follow_the_week_and_the_opening_hours(purposes):
    seed(size="small")
    by_weekday = Counter(
        t.occurred_at.astimezone(t.merchant.area.tz).weekday()
        for t in TillTransaction.objects.filter(kind=TillKind.PURCHASE).select_related("merchant__area")
    )
    assert by_weekday[5] > by_weekday[0]  # Saturday is busier than Monday
    # nobody scans at a till on Christmas Day, when every shop is closed
    christmas = TillTransaction.objects.filter(occurred_at__date=date(2025, 12, 25)).count()
    assert christmas == 0


def test_only_members_who_consented_to_analytics_have_a_profile_on_the_pass(purposes):
    seed(size="small")
    with_profile = Pass.objects.exclude(postcode="")
    assert with_profile.exists() and Pass.objects.filter(postcode="").exists()
    assert set(with_profile.values_list("age_band", flat=True)) <= {"<25", "25-34", "35-44", "45-54", "55-64", "65+"}
    from privacy.selectors import has_consent

    for member_pass in with_profile.select_related("member", "area")[:20]:
        assert has_consent(member_pass.member, "analytics", area=member_pass.area)


def test_the_demo_is_the_same_for_the_same_seed_and_can_be_replaced(purposes):
    seed(1)
    first = fingerprint()
    seed(1, reset=True)
    assert fingerprint() == first
    seed(2, reset=True)
    assert fingerprint() != first
    assert services.check_ledger() == []
    counts = Pass.objects.values("area").annotate(n=Count("pk"))
    assert sum(row["n"] for row in counts) == 100


def test_a_reset_keeps_the_passes_of_other_areas(purposes, area, merchant, now):
    from .factories import PassFactory, award, cashier_for

    kept = PassFactory(area=area)
    award(merchant, kept, 1000, at=now, by=cashier_for(merchant))
    seed(1)
    seed(1, reset=True)
    kept.refresh_from_db()
    assert kept.points_balance == 10 and kept.till_transactions.count() == 1
    assert Pass.objects.filter(area__slug__in=["amersfoort", "mechelen"]).count() == 100


def test_each_area_has_a_correction_applied_and_one_waiting_for_the_demo_manager(purposes):
    from loyalty.models import CorrectionStatus, PointsCorrection

    seed(size="small")
    seed(size="small", reset=True)  # the wipe takes the corrections too

    for slug in ("amersfoort", "mechelen"):
        applied = LedgerEntry.objects.get(kind=EntryKind.ADJUST, member_pass__area__slug=slug)
        waiting = PointsCorrection.objects.get(area__slug=slug)
        assert applied.points == 25 and applied.by.email == f"manager.{slug}@agora.localhost"
        assert waiting.status == CorrectionStatus.PENDING
        assert waiting.requested_by.email == f"manager2.{slug}@agora.localhost"
        # The demo's manager login can apply it (four eyes: not the one who asked).
        services.approve_correction(correction_id=waiting.pk, by=applied.by)
    assert services.check_ledger() == []


def test_the_year_redeems_points_and_gift_cards_where_the_settlement_reads_them(purposes):
    from loyalty.models import GiftCard, GiftCardEntry, GiftCardEntryKind, SettlementStatement, Voucher, VoucherKind
    from loyalty.selectors import pass_history
    from loyalty.services.settlement import get_statement, statement_detail_rows

    # given a year of demo activity
    seed(size="small")

    # then both ledgers add up
    assert services.check_ledger() == [] and services.check_gift_cards() == []
    # rewards paid with points at the till: the spend entry is the purchase's, at its merchant
    at_till = TillTransaction.objects.filter(reward__isnull=False, voucher__isnull=True, points_spent__gt=0)
    assert at_till.count() > 100
    for purchase in at_till[:50]:
        spend = LedgerEntry.objects.get(till_transaction=purchase, kind=EntryKind.SPEND)
        assert (spend.points, spend.merchant_id) == (-purchase.points_spent, purchase.merchant_id)
        assert purchase.reward_cents == min(purchase.reward.value_cents, purchase.amount_cents)
    # rewards chosen in the app: vouchers used on a later purchase at a till, a few given back, some left to expire
    vouchers = Voucher.objects.filter(kind=VoucherKind.REWARD).select_related("redeemed_by", "spend_entry")
    used = [voucher for voucher in vouchers if voucher.redeemed_by_id]
    assert len(used) > 20 and any(voucher.returned_at for voucher in vouchers)
    for voucher in used:
        purchase = voucher.redeemed_by
        assert (purchase.voucher_id, purchase.reward_id) == (voucher.pk, voucher.reward_id)
        assert purchase.points_spent == -voucher.spend_entry.points
        assert voucher.valid_from < purchase.occurred_at == voucher.redeemed_at < voucher.expires_at
    # gift cards sold over the year, most before the holidays, spent in parts at the merchants, some used up
    sold = Counter(card.issued_at.month for card in GiftCard.objects.all())
    assert sold[12] > 2 * sold[9] and len(sold) >= 8
    spends = GiftCardEntry.objects.filter(kind=GiftCardEntryKind.SPEND)
    assert (
        spends.filter(till_transaction__isnull=True).exists() and spends.filter(till_transaction__isnull=False).exists()
    )
    assert not spends.filter(merchant__isnull=True).exists()
    spent_cards = GiftCard.objects.filter(entries__kind=GiftCardEntryKind.SPEND).distinct()
    assert spent_cards.filter(balance_cents=0).exists() and spent_cards.filter(balance_cents__gt=0).exists()

    # the issued statements pay merchants back for points redeemed and gift cards taken, every cent traced to a row
    statements = list(SettlementStatement.objects.select_related("merchant__area"))
    assert sum(s.points_redeemed > 0 for s in statements) > 10 and sum(s.giftcard_cents > 0 for s in statements) > 2
    for stored in statements:
        if not (stored.points_redeemed or stored.giftcard_cents):
            continue
        statement = get_statement(merchant=stored.merchant, first_day=stored.first_day, last_day=stored.last_day)
        rows = list(
            statement_detail_rows(merchant=stored.merchant, first_day=stored.first_day, last_day=stored.last_day)
        )
        assert sum(row.points_redeemed for row in rows) == statement.quantities.points_redeemed
        assert sum(row.giftcard_cents for row in rows) == statement.quantities.giftcard_cents
        assert statement.net_cents == stored.net_cents == sum(line.amount_cents for line in statement.lines)

    # the demo member's history shows rewards: paid with points at a shop's till, and chosen in the app
    demo_pass = Pass.objects.get(member__email="member.amersfoort@agora.localhost")
    history = pass_history(demo_pass, limit=1000).entries
    rewards = [entry for entry in history if entry["kind"] == EntryKind.SPEND]
    assert any(entry["merchant"] for entry in rewards) and any(not entry["merchant"] for entry in rewards)
    assert all(entry["label"].startswith("Beloning: ") for entry in rewards if entry["merchant"])

    # the points that expired were announced 30 days before, as the expiry job requires of a lot (or it holds it)
    expired = PointLot.objects.filter(allocations__entry__kind=EntryKind.EXPIRE)
    assert expired.exists()
    notice = timedelta(days=30)
    assert not expired.filter(Q(expiry_notified_at__isnull=True) | Q(expiry_notified_at__gt=F("expires_at") - notice))
