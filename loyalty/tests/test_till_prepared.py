"""On PostgreSQL with server-side parameters and prepared statements (`DJANGO_DB_PREPARED_STATEMENTS`): a scan's pass
read is planned once per connection, not for every scan, and the setting that makes it so does not outlive the read
(`till_sql.read_row`)."""

import pytest
from django.db import connection

from areas.tests.factories import MerchantFactory
from loyalty.models import Pass, TillTransaction

from .factories import PassFactory, award, cashier_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def prepared():
    """The default connection with server-side parameters, each statement prepared from its first run."""
    options = connection.settings_dict["OPTIONS"]
    before = dict(options)
    connection.close()
    options.update(server_side_binding=True, prepare_threshold=0)
    yield
    connection.close()
    options.clear()
    options.update(before)


def _plans(part: str) -> list[tuple[int, int]]:
    """How often each statement prepared on this connection whose text holds `part` was planned generically (once
    for all values) and for the values of a run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE strpos(statement, %s) > 0", [part]
        )
        return cursor.fetchall()


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def test_the_pass_read_is_planned_once_and_the_awards_are_right(area, now, prepared):
    merchant = MerchantFactory(area=area)
    cashier = cashier_for(merchant)
    passes = [PassFactory(area=area, now=now) for _ in range(8)]

    results = [award(merchant, p, 1250 + 100 * n, at=now, by=cashier, code=p.card_number) for n, p in enumerate(passes)]

    assert [(r.points_awarded, r.balance) for r in results] == [(12 + n, 12 + n) for n in range(8)]
    assert [Pass.objects.get(pk=p.pk).points_balance for p in passes] == [12 + n for n in range(8)]
    assert TillTransaction.objects.count() == 8
    assert _plans("CROSS JOIN LATERAL") == [(8, 0)], "not planned for each scan's values"
    assert _plan_cache_mode() == "auto"


def test_a_read_that_fails_in_a_transaction_leaves_the_plan_mode_as_it_was(area, now, prepared):
    from django.db import DatabaseError, transaction

    from loyalty.services import till_sql

    with pytest.raises(DatabaseError), transaction.atomic():
        till_sql.read_row("SELECT 1 / %(zero)s", {"zero": 0})

    assert _plan_cache_mode() == "auto"
    assert till_sql.read_row("SELECT %(one)s::int", {"one": 1}) == (1,)
    assert _plan_cache_mode() == "auto"
