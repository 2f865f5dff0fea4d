"""The notice of expiring points: at least 30 days ahead, once per lot, retried until it leaves, never for blocked
passes or erased people; points expire only once their member was told; the expiry period leaves room for it."""

import uuid
from datetime import timedelta
from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.db import IntegrityError
from django.utils import dateformat, translation

from loyalty import services
from loyalty.models import EntryKind, LedgerEntry, LoyaltySettings, Pass, PassStatus, PointLot

from .factories import PassFactory, award, rules_for

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


class RefusingBackend(EmailBackend):
    """The outside world's mail server, refusing the addresses in `refused` (the others land in mail.outbox)."""

    refused: set[str] = set()

    def send_messages(self, messages):
        for message in messages:
            if refused := set(message.to) & self.refused:
                raise SMTPRecipientsRefused({address: (550, b"mailbox unavailable") for address in refused})
        return super().send_messages(messages)


@pytest.fixture
def refusing(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    yield RefusingBackend.refused
    RefusingBackend.refused.clear()


def test_a_failed_notice_is_retried_the_next_run_and_others_are_told_once(
    area, merchant, cashier, member_pass, now, run, refusing
):
    # given: two members with points expiring on the same day; Sanne's mailbox refuses the first time
    rules_for(area, expiry_months=3)
    other = PassFactory(area=area, now=now)
    award(merchant, member_pass, 2000, at=now, by=cashier)
    award(merchant, other, 1000, at=now, by=cashier)
    sannes, others = (
        PointLot.objects.get(member_pass=p, entry__till_transaction__isnull=False) for p in (member_pass, other)
    )
    refusing.add(member_pass.member.email)
    first_run = sannes.expires_at - timedelta(days=30, hours=12)

    # when: the daily job runs
    assert run(first_run) == 1

    # then: the other member is told and their lot marked; Sanne's lot waits for the next run
    assert [m.to for m in mail.outbox] == [[other.member.email]]
    sannes.refresh_from_db()
    others.refresh_from_db()
    assert sannes.expiry_notified_at is None and others.expiry_notified_at == first_run

    # when: the next day her mailbox takes it
    refusing.clear()
    next_run = first_run + timedelta(days=1)
    assert run(next_run) == 1

    # then: she is told, once, and her points now expire 30 days after she was told, as the e-mail says
    assert [m.to for m in mail.outbox] == [[other.member.email], [member_pass.member.email]]
    sannes.refresh_from_db()
    assert sannes.expiry_notified_at == next_run and sannes.expires_at == next_run + timedelta(days=30)
    with translation.override(member_pass.member.preferred_language):
        assert dateformat.format(sannes.expires_at.astimezone(area.tz).date(), "j F Y") in mail.outbox[1].body
    assert run(next_run + timedelta(days=1)) == 0 and len(mail.outbox) == 2


def test_points_whose_member_was_not_told_do_not_expire_until_they_are(
    area, merchant, cashier, member_pass, now, run, refusing
):
    rules_for(area, expiry_months=3)
    award(merchant, member_pass, 2000, at=now, by=cashier)
    lot = PointLot.objects.get(member_pass=member_pass, entry__till_transaction__isnull=False)
    date = lot.expires_at
    refusing.add(member_pass.member.email)
    assert run(date - timedelta(days=30, hours=12)) == 0  # the notice fails

    # when: the nightly expiry runs past the date
    assert services.expire_points(now=date + timedelta(hours=1)) == 0

    # then: nothing expired; the lot has a new date, 30 days on, and can still be spent
    lot.refresh_from_db()
    assert lot.remaining == 20 and lot.expires_at == date + timedelta(hours=1, days=30)
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 20

    # when: the member is told the next morning, and the nightly job runs at the new date and after it
    refusing.clear()
    told_at = date + timedelta(hours=8)
    assert run(told_at) == 1
    lot.refresh_from_db()
    assert lot.expires_at == told_at + timedelta(days=30)
    assert services.expire_points(now=told_at + timedelta(days=29)) == 0
    assert services.expire_points(now=told_at + timedelta(days=30, hours=1)) == 1
    assert LedgerEntry.objects.get(kind=EntryKind.EXPIRE).points == -20


def test_points_whose_member_cannot_be_reached_are_postponed_once_then_expire(
    area, merchant, cashier, member_pass, now, run, refusing
):
    rules_for(area, expiry_months=3)
    award(merchant, member_pass, 2000, at=now, by=cashier)
    lot = PointLot.objects.get(member_pass=member_pass, entry__till_transaction__isnull=False)
    date = lot.expires_at
    refusing.add(member_pass.member.email)  # a mailbox that refuses every notice

    # the first night past the date: postponed 30 days (every daily notice in between fails as well)
    assert services.expire_points(now=date + timedelta(hours=1)) == 0
    for day in range(30):
        assert run(date + timedelta(days=day, hours=9)) == 0
    lot.refresh_from_db()
    assert lot.expiry_postponed_at == date + timedelta(hours=1) and lot.expiry_notified_at is None

    # the night past the new date: they expire, once; the ledger and the balance agree
    assert services.expire_points(now=date + timedelta(days=30, hours=2)) == 1
    assert services.expire_points(now=date + timedelta(days=31, hours=2)) == 0
    assert LedgerEntry.objects.get(kind=EntryKind.EXPIRE).points == -20
    assert Pass.objects.get(pk=member_pass.pk).points_balance == 0 and services.check_ledger() == []


def test_points_of_a_blocked_pass_expire_on_their_date(area, merchant, cashier, member_pass, now, run):
    rules_for(area, expiry_months=3)
    award(merchant, member_pass, 2000, at=now, by=cashier)
    Pass.objects.filter(pk=member_pass.pk).update(status=PassStatus.BLOCKED)
    date = PointLot.objects.get(member_pass=member_pass, entry__till_transaction__isnull=False).expires_at

    assert run(date - timedelta(days=30, hours=12)) == 0  # no notice for a blocked pass

    assert services.expire_points(now=date + timedelta(hours=1)) == 1


@pytest.mark.parametrize(
    "notice_days, shortest",
    [(30, 3), (60, 4), (180, 8)],
)
@pytest.mark.usefixtures("english")
def test_the_expiry_period_leaves_room_for_the_notice(area, notice_days, shortest):
    rules = LoyaltySettings.for_area(area)
    rules.expiry_notice_days = notice_days

    rules.expiry_months = shortest - 1
    with pytest.raises(ValidationError) as error:
        rules.full_clean()
    assert error.value.message_dict["expiry_months"] == [
        f"Points must stay valid for at least {shortest} months: members are told {notice_days} days before their "
        "points expire, and should have at least a month to use fresh points before that."
    ]

    rules.expiry_months = shortest
    rules.full_clean()


def test_a_member_another_run_is_telling_right_now_is_left_to_it(area, merchant, cashier, member_pass, now, run):
    rules_for(area, expiry_months=3)
    award(merchant, member_pass, 2000, at=now, by=cashier)
    lot = PointLot.objects.get(member_pass=member_pass, entry__till_transaction__isnull=False)
    at = lot.expires_at - timedelta(days=30, hours=12)
    cache.add(f"loyalty:expiry-notice:{member_pass.pk}", "another run", timeout=60)
    try:
        assert run(at) == 0 and mail.outbox == []
    finally:
        cache.delete(f"loyalty:expiry-notice:{member_pass.pk}")

    assert run(at) == 1 and len(mail.outbox) == 1
