"""The notice of expiring points: at least 30 days ahead, once per lot, never for blocked passes or erased people."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError

from loyalty import services
from loyalty.models import LoyaltySettings, PassStatus, PointLot

from .factories import award, rules_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the job as Celery would: the e-mails leave after the commit."""

    def run_at(moment):
        with django_capture_on_commit_callbacks(execute=True):
            return services.send_expiry_notices(now=moment)

    return run_at


def test_points_are_announced_between_30_and_31_days_ahead_and_once(area, merchant, cashier, member_pass, now, run):
    rules_for(area, expiry_months=3)
    award(merchant, member_pass, 2000, at=now, by=cashier)
    lot = PointLot.objects.get(member_pass=member_pass, entry__till_transaction__isnull=False)

    assert run(lot.expires_at - timedelta(days=31, hours=1)) == 0  # a daily run a day too early
    assert mail.outbox == []

    assert run(lot.expires_at - timedelta(days=30, hours=12)) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member_pass.member.email]
    assert "20" in message.subject
    assert lot.expires_at.astimezone(area.tz).strftime("%Y") in message.body
    assert "/mijn/" in message.body

    # Tomorrow's run, and a second run today, tell nobody again.
    assert run(lot.expires_at - timedelta(days=29, hours=12)) == 0
    assert run(lot.expires_at - timedelta(days=30, hours=12)) == 0
    assert len(mail.outbox) == 1


def test_the_message_is_in_the_members_language(area, merchant, cashier, member_pass, now, run):
    rules_for(area, expiry_months=1)
    member_pass.member.preferred_language = "nl"
    member_pass.member.save()
    award(merchant, member_pass, 1500, at=now, by=cashier)

    assert run(now + timedelta(days=2)) == 1
    assert "punten" in mail.outbox[0].subject


def test_one_message_per_pass_for_several_lots(area, merchant, cashier, member_pass, now, run):
    rules_for(area, expiry_months=1)
    award(merchant, member_pass, 1000, at=now, by=cashier)
    award(merchant, member_pass, 2500, at=now + timedelta(hours=2), by=cashier)

    assert run(now + timedelta(days=3)) == 1
    assert "35" in mail.outbox[0].subject


def test_blocked_passes_and_erased_people_get_nothing(area, merchant, cashier, member_pass, now, run):
    rules_for(area, expiry_months=1)
    award(merchant, member_pass, 1000, at=now, by=cashier)
    type(member_pass).objects.filter(pk=member_pass.pk).update(status=PassStatus.BLOCKED)

    assert run(now + timedelta(days=3)) == 0
    assert mail.outbox == []


def test_spent_points_are_not_announced(area, merchant, cashier, member_pass, now, run):
    rules_for(area, expiry_months=1)
    award(merchant, member_pass, 1000, at=now, by=cashier)
    member_pass.refresh_from_db()
    services.spend_points(
        pass_id=member_pass.pk,
        points=member_pass.points_balance,
        request_key=uuid.uuid4(),
        by=member_pass.member,
        now=now + timedelta(hours=1),
    )

    assert run(now + timedelta(days=3)) == 0


def test_the_notice_period_is_at_least_30_days(area):
    rules = LoyaltySettings.for_area(area)
    with pytest.raises(IntegrityError):
        LoyaltySettings.objects.filter(pk=rules.pk).update(expiry_notice_days=10)
