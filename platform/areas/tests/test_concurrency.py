"""Concurrent writes on PostgreSQL: the constraints and row locks the services rely on."""

import datetime as dt
import threading

import pytest
from django.db import connection

from accounts.roles import Role
from areas import services
from areas.models import OpeningHours, StaffMembership
from areas.tests.factories import MerchantFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T = dt.time


def _run_together(*calls):
    """Start the calls at the same moment in threads (each with its own connection); return results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # handed to the test, which reports it
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_granting_the_same_role_twice_at_once_gives_one_membership():
    merchant, person = MerchantFactory(), UserFactory()

    def grant():
        return services.grant_role(user=person, role=Role.MERCHANT_STAFF, merchant=merchant, granted_by=None).pk

    results = _run_together(*[grant] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    assert StaffMembership.objects.filter(user=person).count() == 1


def test_two_editors_saving_the_week_at_once_leave_one_of_the_two_weeks():
    merchant = MerchantFactory()
    mornings = {day: [(T(8), T(12))] for day in range(7)}
    afternoons = {day: [(T(13), T(18))] for day in range(5)}
    results = _run_together(
        lambda: services.set_opening_hours(merchant=merchant, week=mornings),
        lambda: services.set_opening_hours(merchant=merchant, week=afternoons),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    saved = {(h.weekday, h.opens_at, h.closes_at) for h in OpeningHours.objects.filter(merchant=merchant)}
    assert saved in (_rows(mornings), _rows(afternoons))  # never a mix of both


def _rows(week) -> set:
    return {(day, opens, closes) for day, periods in week.items() for opens, closes in periods}
