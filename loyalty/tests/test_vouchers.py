"""Vouchers: codes, issuing (permission, validation, idempotency), the till's checks, single use, release."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from areas.tests.factories import MerchantFactory
from loyalty.exceptions import (
    InvalidVoucher,
    NotAllowed,
    RequestKeyReused,
    VoucherAlreadyUsed,
    VoucherExpired,
    VoucherForAnotherPass,
    VoucherNotFound,
    VoucherNotUsable,
    VoucherNotValidHere,
    VoucherNotYetValid,
)
from loyalty.models import TillTransaction, Voucher, VoucherKind
from loyalty.selectors import voucher_wallet
from loyalty.services.vouchers import (
    group_voucher_code,
    is_valid_voucher_code,
    issue_voucher,
    mark_voucher_redeemed,
    new_voucher_code,
    normalise_voucher_code,
    release_voucher,
    voucher_for_till,
)

from .factories import PassFactory, award, manager_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(area, manager, now):
    def _issue(**fields):
        values = {
            "area": area,
            "kind": VoucherKind.FIXED,
            "value_cents": 500,
            "expires_at": now + timedelta(days=30),
            "valid_from": now - timedelta(days=1),
            "by": manager,
            "request_key": uuid.uuid4(),
            **fields,
        }
        return issue_voucher(**values)

    return _issue


@pytest.fixture
def purchase(merchant, member_pass, cashier, now) -> TillTransaction:
    result = award(merchant, member_pass, 2000, at=now, by=cashier)
    return TillTransaction.objects.get(pk=result.transaction_id)


# --- Codes ---------------------------------------------------------------------------------------------------


def test_codes_have_ten_crockford_characters_and_a_check_character():
    codes = {new_voucher_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 10 and not set(code) & set("ILOU")
        assert is_valid_voucher_code(code)
    assert group_voucher_code("ABCDEFGHJK") == "ABCD-EFGH-JK"


def test_the_check_character_catches_a_typo_and_swapped_neighbours():
    code = new_voucher_code()
    other = "1" if code[3] != "1" else "2"
    assert not is_valid_voucher_code(code[:3] + other + code[4:])
    if code[3] != code[4]:
        assert not is_valid_voucher_code(code[:3] + code[4] + code[3] + code[5:])


def test_normalising_accepts_case_dashes_spaces_and_lookalikes():
    assert normalise_voucher_code(" ab0d-efgh jk ") == "AB0DEFGHJK"
    assert normalise_voucher_code("oIl") == "011"


# --- Issuing ---------------------------------------------------------------------------------------------------


def test_a_manager_issues_a_voucher_and_a_replay_returns_it(issue, merchant):
    key = uuid.uuid4()
    voucher = issue(request_key=key, merchants=[merchant])
    again = issue(request_key=key, merchants=[merchant])

    assert again.pk == voucher.pk
    assert Voucher.objects.count() == 1
    assert list(voucher.merchants.all()) == [merchant]


def test_a_key_reused_for_another_voucher_is_refused(issue, member_pass):
    key = uuid.uuid4()
    issue(request_key=key)
    with pytest.raises(RequestKeyReused):
        issue(request_key=key, kind=VoucherKind.PERCENT, value_cents=0, percent=10)


def test_a_manager_of_another_area_may_not_issue_here(issue, flemish_area, member_pass):
    with pytest.raises(NotAllowed):
        issue(by=manager_for(flemish_area))
    with pytest.raises(NotAllowed):
        issue(by=member_pass.member)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value_cents": 0}, "value_cents"),
        ({"kind": VoucherKind.PERCENT, "value_cents": 0, "percent": 0}, "percent"),
        ({"kind": VoucherKind.PERCENT, "value_cents": 0, "percent": 101}, "percent"),
        ({"kind": VoucherKind.PERCENT, "value_cents": 100, "percent": 10}, "percent"),
        ({"kind": VoucherKind.REWARD}, "kind"),
    ],
)
def test_the_value_must_match_the_kind(issue, fields, field):
    with pytest.raises(InvalidVoucher) as raised:
        issue(**fields)
    assert field in raised.value.errors


def test_the_period_and_the_merchants_are_checked(issue, now, flemish_area):
    with pytest.raises(InvalidVoucher) as raised:
        issue(valid_from=now, expires_at=now)
    assert "expires_at" in raised.value.errors
    with pytest.raises(InvalidVoucher) as raised:
        issue(merchants=[MerchantFactory(area=flemish_area)])
    assert "merchants" in raised.value.errors
    with pytest.raises(InvalidVoucher) as raised:
        issue(member_pass=PassFactory(area=flemish_area))
    assert "member_pass" in raised.value.errors


# --- At the till -----------------------------------------------------------------------------------------------


def test_the_till_finds_a_typed_code_in_any_form(issue, merchant, now):
    voucher = issue()
    typed = group_voucher_code(voucher.code).lower().replace("0", "o").replace("1", "l")

    assert voucher_for_till(code=typed, merchant=merchant, now=now).pk == voucher.pk


def test_unknown_mistyped_and_other_area_codes_are_not_found(issue, merchant, flemish_area, now):
    voucher = issue()
    with pytest.raises(VoucherNotFound):
        voucher_for_till(code="nonsense", merchant=merchant, now=now)
    with pytest.raises(VoucherNotFound):
        voucher_for_till(code=new_voucher_code(), merchant=merchant, now=now)
    with pytest.raises(VoucherNotFound):
        voucher_for_till(code=voucher.code, merchant=MerchantFactory(area=flemish_area), now=now)


def test_before_and_after_its_period_a_voucher_is_refused(issue, merchant, now):
    voucher = issue(valid_from=now + timedelta(hours=1), expires_at=now + timedelta(days=1))
    with pytest.raises(VoucherNotYetValid):
        voucher_for_till(code=voucher.code, merchant=merchant, now=now)
    with pytest.raises(VoucherExpired):
        voucher_for_till(code=voucher.code, merchant=merchant, now=now + timedelta(days=1))
    assert voucher_for_till(code=voucher.code, merchant=merchant, now=now + timedelta(hours=1)).pk == voucher.pk


def test_a_voucher_for_some_merchants_is_refused_elsewhere(issue, merchant, other_merchant, now):
    voucher = issue(merchants=[other_merchant])
    with pytest.raises(VoucherNotValidHere):
        voucher_for_till(code=voucher.code, merchant=merchant, now=now)
    assert voucher_for_till(code=voucher.code, merchant=other_merchant, now=now)


def test_a_voucher_bound_to_a_pass_needs_that_pass(issue, area, merchant, member_pass, now):
    voucher = issue(member_pass=member_pass)
    with pytest.raises(VoucherForAnotherPass):
        voucher_for_till(code=voucher.code, merchant=merchant, now=now)
    with pytest.raises(VoucherForAnotherPass):
        voucher_for_till(code=voucher.code, merchant=merchant, member_pass=PassFactory(area=area), now=now)
    assert voucher_for_till(code=voucher.code, merchant=merchant, member_pass=member_pass, now=now)


def test_a_voucher_is_used_once_and_an_undo_releases_it(issue, merchant, purchase, now):
    voucher = voucher_for_till(code=issue().code, merchant=merchant, now=now)
    mark_voucher_redeemed(voucher, till_transaction=purchase, now=now)

    with pytest.raises(VoucherAlreadyUsed) as raised:
        voucher_for_till(code=voucher.code, merchant=merchant, now=now)
    assert isinstance(raised.value, VoucherNotUsable)
    with pytest.raises(VoucherAlreadyUsed):
        mark_voucher_redeemed(voucher, till_transaction=purchase, now=now)

    assert release_voucher(voucher.pk, redeemed_by=purchase)
    assert voucher_for_till(code=voucher.code, merchant=merchant, now=now).redeemed_at is None


def test_releasing_for_another_purchase_changes_nothing(issue, merchant, member_pass, cashier, purchase, now):
    voucher = issue()
    mark_voucher_redeemed(voucher, till_transaction=purchase, now=now)
    later = award(merchant, member_pass, 1000, at=now + timedelta(minutes=1), by=cashier)

    assert not release_voucher(voucher.pk, redeemed_by=later.transaction_id)
    voucher.refresh_from_db()
    assert voucher.redeemed_by_id == purchase.pk


def test_discounts_never_exceed_the_purchase_and_respect_the_cap(issue):
    fixed = issue(value_cents=1500)
    percent = issue(kind=VoucherKind.PERCENT, value_cents=0, percent=20, max_discount_cents=300)
    uncapped = issue(kind=VoucherKind.PERCENT, value_cents=0, percent=15)

    assert fixed.discount_for(1000) == 1000
    assert fixed.discount_for(4000) == 1500
    assert percent.discount_for(1000) == 200
    assert percent.discount_for(5000) == 300
    assert uncapped.discount_for(999) == 149


# --- The wallet ------------------------------------------------------------------------------------------------


def test_the_wallet_lists_usable_soonest_first_then_recent_ones(
    issue, merchant, member_pass, purchase, now, django_assert_num_queries
):
    later = issue(member_pass=member_pass, expires_at=now + timedelta(days=20), merchants=[merchant])
    sooner = issue(member_pass=member_pass, expires_at=now + timedelta(days=5))
    used = issue(member_pass=member_pass)
    mark_voucher_redeemed(used, till_transaction=purchase, now=now)
    ended = issue(member_pass=member_pass, valid_from=now - timedelta(days=20), expires_at=now - timedelta(days=2))
    issue(member_pass=member_pass, valid_from=now - timedelta(days=90), expires_at=now - timedelta(days=60))  # long ago
    issue()  # not the member's

    with django_assert_num_queries(2):
        wallet = voucher_wallet(member_pass, now=now)
        names = [m.trade_name for v in wallet.usable for m in v.merchants.all()]

    assert [v.pk for v in wallet.usable] == [sooner.pk, later.pk]
    assert [v.pk for v in wallet.past] == [used.pk, ended.pk]
    assert names == [merchant.trade_name]
