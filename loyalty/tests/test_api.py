"""The till API: same services as the till screen, statuses a till app can act on."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from areas.tests.factories import MerchantFactory, UserFactory
from loyalty.models import TillTransaction
from loyalty.selectors import current_pass_code
from privacy.tests.factories import with_totp

from .factories import PassFactory, cashier_for, recognisable, rules_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(client, merchant):
    client.force_login(with_totp(cashier_for(merchant)))
    return client


@pytest.fixture
def shopper_pass(area):
    return PassFactory(area=area, member=recognisable(UserFactory(first_name="Sanne"), area))


def _award(client, merchant, **body):
    return client.post(f"/api/v1/merchants/{merchant.pk}/till/awards/", body, content_type="application/json")


def test_an_award_answers_with_the_points_and_a_retry_returns_the_same_answer(till, merchant, shopper_pass):
    body = {"code": current_pass_code(shopper_pass), "amount_cents": 2350, "request_key": str(uuid.uuid4())}

    first = _award(till, merchant, **body)
    retry = _award(till, merchant, **body)

    assert first.status_code == 201, first.json()
    assert first.json()["member_first_name"] == "Sanne"
    assert first.json()["points_awarded"] > 0
    assert retry.status_code == 200
    assert retry.json() == {**first.json(), "is_replay": True}
    assert TillTransaction.objects.filter(member_pass=shopper_pass).count() == 1


def test_an_award_cut_by_the_daily_maximum_says_so(till, area, merchant, shopper_pass):
    rules_for(area, daily_cap_points=10, welcome_bonus_points=0, first_visit_bonus_points=0)
    body = {"code": current_pass_code(shopper_pass), "amount_cents": 5000, "request_key": str(uuid.uuid4())}

    capped = _award(till, merchant, **body).json()
    body = {"code": shopper_pass.card_number, "amount_cents": 1000, "request_key": str(uuid.uuid4())}
    nothing_left = _award(till, merchant, **body).json()

    assert (capped["points_awarded"], capped["daily_cap_points"]) == (10, 10)
    assert (nothing_left["points_awarded"], nothing_left["daily_cap_points"]) == (0, 10)


def test_a_used_code_with_a_new_key_is_a_conflict(till, merchant, shopper_pass):
    code = current_pass_code(shopper_pass)
    assert _award(till, merchant, code=code, amount_cents=1000, request_key=str(uuid.uuid4())).status_code == 201

    again = _award(till, merchant, code=code, amount_cents=1000, request_key=str(uuid.uuid4()))

    assert again.status_code == 409
    assert again.json()["code"] == "CodeAlreadyUsed"


@pytest.mark.parametrize(
    "body",
    [
        {"code": "123", "amount_cents": 0, "request_key": "not-a-uuid"},
        {"amount_cents": 1000, "request_key": str(uuid.uuid4())},
        {"code": "123456789012", "amount_cents": "twelve", "request_key": str(uuid.uuid4())},
    ],
)
def test_bad_input_is_a_400_with_errors_per_field(till, merchant, body):
    response = _award(till, merchant, **body)
    assert response.status_code == 400
    assert set(response.json()) <= {"code", "amount_cents", "request_key"}


def test_an_unknown_card_is_a_404_with_a_message(till, merchant):
    response = _award(till, merchant, code="0000 0000 0000", amount_cents=500, request_key=str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json()["detail"]


def test_staff_of_merchant_b_cannot_use_merchant_a_s_till(client, area, merchant, shopper_pass):
    other = MerchantFactory(area=area)
    client.force_login(with_totp(cashier_for(other)))

    response = _award(
        client, merchant, code=current_pass_code(shopper_pass), amount_cents=500, request_key=str(uuid.uuid4())
    )

    assert response.status_code == 404
    assert not TillTransaction.objects.exists()


def test_a_member_cannot_call_the_till(client, merchant, shopper_pass):
    client.force_login(shopper_pass.member)
    response = _award(
        client, merchant, code=current_pass_code(shopper_pass), amount_cents=500, request_key=str(uuid.uuid4())
    )
    assert response.status_code == 404


def test_undo_through_the_api_reverses_the_points_once(till, merchant, shopper_pass):
    award = _award(
        till, merchant, code=current_pass_code(shopper_pass), amount_cents=4000, request_key=str(uuid.uuid4())
    ).json()
    url = f"/api/v1/merchants/{merchant.pk}/till/transactions/{award['transaction_id']}/undo/"

    undo = till.post(url, {"request_key": str(uuid.uuid4())}, content_type="application/json")
    twice = till.post(url, {"request_key": str(uuid.uuid4())}, content_type="application/json")

    assert undo.status_code == 201, undo.json()
    assert undo.json()["points_awarded"] == -award["points_awarded"]
    assert undo.json()["balance"] == award["balance"] - award["points_awarded"]
    assert twice.status_code == 409


def test_a_refund_through_the_api_takes_back_points_pro_rata_once_per_key(till, merchant, shopper_pass):
    award = _award(
        till, merchant, code=current_pass_code(shopper_pass), amount_cents=4000, request_key=str(uuid.uuid4())
    ).json()
    url = f"/api/v1/merchants/{merchant.pk}/till/transactions/{award['transaction_id']}/refund/"
    key = str(uuid.uuid4())

    quarter = till.post(url, {"amount_cents": 1000, "request_key": key}, content_type="application/json")
    retry = till.post(url, {"amount_cents": 1000, "request_key": key}, content_type="application/json")
    too_much = till.post(url, {"amount_cents": 3001, "request_key": str(uuid.uuid4())}, content_type="application/json")
    nothing = till.post(url, {"amount_cents": 0, "request_key": str(uuid.uuid4())}, content_type="application/json")

    # a quarter of the amount: a quarter of the points, once, however often the till retries
    assert quarter.status_code == 201, quarter.json()
    assert quarter.json()["points_awarded"] == -(award["points_awarded"] // 4)
    assert retry.status_code == 200 and retry.json() == {**quarter.json(), "is_replay": True}
    # more than is left of the purchase, or nothing: refused, nothing written
    assert too_much.status_code == 422 and too_much.json()["code"] == "RefundTooLarge"
    assert nothing.status_code == 400
    assert TillTransaction.objects.filter(kind="refund").count() == 1


def test_a_till_with_an_api_token_pays_part_with_a_voucher_and_reads_its_token_once(
    client, area, merchant, shopper_pass
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from loyalty import services

    from .factories import manager_for

    token = Token.objects.create(user=with_totp(cashier_for(merchant)))
    voucher = services.issue_voucher(
        area=area,
        kind="fixed",
        value_cents=500,
        expires_at=timezone.now() + timedelta(days=30),
        by=manager_for(area),
        request_key=uuid.uuid4(),
    )
    body = {
        "code": current_pass_code(shopper_pass),
        "amount_cents": 2350,
        "voucher_code": voucher.code,
        "request_key": str(uuid.uuid4()),
    }

    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/api/v1/merchants/{merchant.pk}/till/awards/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token.key}",
        )

    assert response.status_code == 201, response.json()
    assert (response.json()["voucher_cents"], response.json()["to_pay_cents"]) == (500, 1850)
    assert response.json()["points_awarded"] == 18
    assert sum('"authtoken_token"' in query["sql"] for query in queries.captured_queries) == 1


def test_an_award_with_an_api_token_takes_a_fixed_number_of_queries(
    client, merchant, shopper_pass, django_assert_num_queries
):
    from rest_framework.authtoken.models import Token

    cashier = with_totp(cashier_for(merchant))
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=cashier).key}"}
    body = {"code": shopper_pass.card_number, "amount_cents": 2350, "request_key": str(uuid.uuid4())}
    url = f"/api/v1/merchants/{merchant.pk}/till/awards/"
    client.post(url, {**body, "request_key": str(uuid.uuid4())}, content_type="application/json", **headers)

    # The token (with its owner, whether they have TOTP, their memberships), the merchant (with its area and rules),
    # then on PostgreSQL a scan that only earns (till_sql): the read (pass, member, multiplier, name consent, the facts
    # and the replay lookup) and the one write, in a savepoint here as the test runs in a transaction (a request runs
    # in none). Elsewhere: savepoint, pass lock, facts, till transaction, ledger entry, lot, balance, savepoint release.
    from django.db import connection

    with django_assert_num_queries(6 if connection.vendor == "postgresql" else 10):
        response = client.post(url, body, content_type="application/json", **headers)

    assert response.status_code == 201, response.json()
