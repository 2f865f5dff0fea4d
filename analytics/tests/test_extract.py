"""The extract: consented, pseudonymous frames only (ARCHITECTURE §6)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from analytics import extract
from areas.tests.factories import MerchantFactory

from .factories import Till, member, withdraw

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 1, 1, tzinfo=AMS)
END = datetime(2026, 12, 31, tzinfo=AMS)


@pytest.fixture
def world(area):
    shop = MerchantFactory(area=area, sector="fashion")
    till = Till()
    consented, pass_a = member(area, postcode="1234", age_band="25-34", first_name="Sanne")
    refused, pass_b = member(area, analytics=False, share=True, postcode="4321", first_name="Piet")
    till.visit(shop, pass_a, 2_500, datetime(2026, 3, 2, 10, 0, tzinfo=AMS))
    till.visit(shop, pass_a, 1_000, datetime(2026, 3, 3, 23, 30, tzinfo=AMS))
    till.visit(shop, pass_b, 4_000, datetime(2026, 3, 2, 11, 0, tzinfo=AMS))
    return {"shop": shop, "consented": consented, "refused": refused, "pass_a": pass_a, "pass_b": pass_b}


@pytest.fixture
def shopping(area, world):
    """world, plus webshop orders and voucher use: the consenting member orders at two merchants (one bread
    refunded) and uses a voucher at the till and one online; the refusing member and a guest order too."""
    import uuid

    from loyalty.models import VoucherKind
    from loyalty.services import issue_voucher
    from loyalty.tests.factories import award, cashier_for, manager_for
    from shop.services import refunds
    from shop.tests.factories import SellingMerchantFactory, paid_order, variant_of

    at = datetime(2026, 4, 1, 12, 0, tzinfo=AMS)

    def voucher(**terms):
        return issue_voucher(
            area=area,
            kind=VoucherKind.FIXED,
            expires_at=at + timedelta(days=30),
            valid_from=at - timedelta(days=1),
            by=manager_for(area),
            request_key=uuid.uuid4(),
            **terms,
        )

    baker = SellingMerchantFactory(area=area, sector="food", trade_name="Bakker")
    books = SellingMerchantFactory(area=area, sector="leisure", trade_name="Boeken")
    bread, novel = variant_of(baker, price_cents=400, stock=20), variant_of(books, price_cents=2_000, stock=20)
    order = paid_order(area, [(bread, 2), (novel, 1)], user=world["consented"], now=at)
    line = next(line for part in order.parts.all() for line in part.lines.all() if line.variant_id == bread.pk)
    refunds.refund_lines(order=order, lines={line.pk: 1}, reason="", by=None, idempotency_key="x1")
    paid_order(area, [(bread, 1)], user=world["refused"], now=at + timedelta(hours=1))
    paid_order(area, [(novel, 1)], user=None, now=at + timedelta(hours=2))
    online = voucher(value_cents=500)
    paid_order(area, [(novel, 1)], user=world["consented"], now=at + timedelta(days=1), voucher_code=online.code)
    award(
        world["shop"],
        world["pass_a"],
        3_000,
        at=at + timedelta(days=2),
        by=cashier_for(world["shop"]),
        voucher_code=voucher(value_cents=700).code,
    )
    award(
        world["shop"],
        world["pass_b"],
        3_000,
        at=at + timedelta(days=2),
        by=cashier_for(world["shop"]),
        voucher_code=voucher(value_cents=900).code,
    )
    return {**world, "order": order, "baker": baker, "books": books, "at": at}


def test_orders_frame_holds_consenting_members_paid_parts_after_refunds(area, shopping):
    frame = extract.orders_frame(area=area, start=START, end=END)
    assert list(frame.columns) == extract.ORDER_COLUMNS
    # The consenting member's first order (bread 800 − 400 refunded, the novel 2000) and second (novel 2000);
    # the refusing member's and the guest's orders are not there.
    assert frame[["merchant_id", "sector", "goods_cents"]].values.tolist() == [
        [shopping["baker"].pk, "food", 400],
        [shopping["books"].pk, "leisure", 2_000],
        [shopping["books"].pk, "leisure", 2_000],
    ]
    assert frame["subject"].unique().tolist() == [extract.subject_of(shopping["consented"].pseudonym)]
    assert frame["order_key"].nunique() == 2 and shopping["order"].pk not in frame["order_key"].tolist()
    assert frame["local_date"].tolist() == [pd.Timestamp("2026-04-01")] * 2 + [pd.Timestamp("2026-04-02")]
    assert str(frame["paid_at"].dt.tz) == "Europe/Amsterdam"
    assert set(frame["fulfilment"]) == {"parcel_point"}


def test_redemptions_frame_holds_till_and_online_use_of_consenting_members(area, shopping):
    frame = extract.redemptions_frame(area=area, start=START, end=END)
    assert list(frame.columns) == extract.REDEMPTION_COLUMNS
    # Online (no merchant) what the paid order took off, then the till's voucher; the refusing member's is out.
    assert frame[["channel", "kind", "value_cents"]].values.tolist() == [
        ["online", "voucher", 500],
        ["till", "voucher", 700],
    ]
    assert frame["merchant_id"].isna().tolist() == [True, False]
    assert int(frame["merchant_id"].iloc[1]) == shopping["shop"].pk
    assert frame["subject"].unique().tolist() == [extract.subject_of(shopping["consented"].pseudonym)]
    assert frame["local_date"].tolist() == [pd.Timestamp("2026-04-02"), pd.Timestamp("2026-04-03")]


def test_visits_frame_holds_only_members_who_consented_to_the_purpose(area, world):
    frame = extract.visits_frame(area=area, start=START, end=END)
    assert list(frame.columns) == extract.VISIT_COLUMNS
    assert frame["amount_cents"].tolist() == [2_500, 1_000]
    assert frame["subject"].nunique() == 1
    assert frame["sector"].tolist() == ["fashion", "fashion"]
    assert frame["postcode4"].tolist() == ["1234", "1234"]
    assert frame["age_band"].tolist() == ["25-34", "25-34"]
    # Local time and local day: 23:30 in Amsterdam is still 3 March.
    assert frame["local_date"].tolist() == [pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-03")]
    assert str(frame["occurred_at"].dt.tz) == "Europe/Amsterdam"

    shared = extract.visits_frame(area=area, start=START, end=END, purpose=extract.SHARE_WITH_MERCHANTS)
    assert shared["amount_cents"].tolist() == [4_000]
    # The profile is given for analytics only: a merchant's frame carries none of it.
    assert shared["postcode4"].isna().all() and shared["age_band"].isna().all()


def test_the_subject_is_a_keyed_hash_that_changes_with_the_key(area, world, settings):
    frame = extract.visits_frame(area=area, start=START, end=END)
    subject = int(frame["subject"].iloc[0])
    pseudonym = world["consented"].pseudonym
    assert subject == extract.subject_of(pseudonym)
    assert subject not in (world["consented"].pk, world["pass_a"].pk, int(pseudonym.int & (2**63 - 1)))
    settings.ANALYTICS_SUBJECT_KEY = "another-key"
    assert int(extract.visits_frame(area=area, start=START, end=END)["subject"].iloc[0]) != subject


def test_no_personal_data_reaches_any_frame(area, shopping):
    world = shopping
    people = [world["consented"], world["refused"]]
    personal_values = {
        value.lower()
        for person in people
        for value in (person.email, person.first_name, person.last_name, str(person.pseudonym), person.pseudonym.hex)
    } | {p.card_number for p in (world["pass_a"], world["pass_b"])}
    ids = {person.pk for person in people} | {world["pass_a"].pk, world["pass_b"].pk}
    frames = [
        extract.visits_frame(area=area, start=START, end=END),
        extract.visits_frame(area=area, start=START, end=END, purpose=extract.SHARE_WITH_MERCHANTS),
        extract.members_frame(area=area),
        extract.pickups_frame(area=area, start=START, end=END),
        extract.orders_frame(area=area, start=START, end=END),
        extract.orders_frame(area=area, start=START, end=END, purpose=extract.SHARE_WITH_MERCHANTS),
        extract.redemptions_frame(area=area, start=START, end=END),
    ]
    assert all(len(frame) for frame in frames[:3] + frames[4:5] + frames[6:])
    for frame in frames:
        assert not extract.PERSONAL_COLUMNS & {c.lower() for c in frame.columns}
        extract.assert_pseudonymous(frame)
        for column in frame.columns:
            values = frame[column].dropna()
            text = {str(v).lower() for v in values}
            assert not text & personal_values, column
            if column not in ("amount_cents", "merchant_id", "point_id", "goods_cents", "value_cents"):
                assert not set(values.tolist()) & ids, column


def test_assert_pseudonymous_refuses_a_frame_with_a_personal_column():
    with pytest.raises(AssertionError):
        extract.assert_pseudonymous(pd.DataFrame({"email": ["a@example.org"]}))


def test_consent_is_read_at_the_time_given(area, shopping):
    world = shopping
    before = datetime.now(tz=AMS)
    withdraw(world["consented"], area)
    assert extract.visits_frame(area=area, start=START, end=END).empty
    assert extract.orders_frame(area=area, start=START, end=END).empty
    assert extract.redemptions_frame(area=area, start=START, end=END).empty
    assert len(extract.orders_frame(area=area, start=START, end=END, at=before)) == 3
    # The frame as consent stood before the withdrawal (for a run that began then): the two visits and the
    # purchase paid partly with a voucher.
    assert len(extract.visits_frame(area=area, start=START, end=END, at=before - timedelta(seconds=0))) == 3


def test_an_unknown_purpose_is_refused(area):
    with pytest.raises(ValueError):
        extract.visits_frame(area=area, start=START, end=END, purpose="marketing")
    with pytest.raises(ValueError):
        extract.orders_frame(area=area, start=START, end=END, purpose="marketing")
    with pytest.raises(ValueError):
        extract.redemptions_frame(area=area, start=START, end=END, purpose="marketing")
