"""Notices to recipients: the rich "ready" e-mail, reminders and the last-day notice (time travel), each once."""

from datetime import datetime, timedelta

import pytest

from parcels import services
from parcels.models import AnnouncementSource, NoticeKind, ParcelNotice
from parcels.selectors import pickup_qr_payload

from .conftest import AMSTERDAM
from .factories import UPS_CODES, key, receive


def _qr_images(message):
    return [part for part in message.attachments if getattr(part, "get_content_type", lambda: "")() == "image/png"]


def _html(message):
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return html


def test_the_ready_email_has_the_code_the_qr_and_the_point_in_the_areas_language(
    point, staff, now, django_capture_on_commit_callbacks, mailoutbox
):
    # given
    point.opening_notes = "Ma–za 9:00–18:00"
    point.save()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        parcel = receive(point, staff, at=now)
    # then
    (message,) = mailoutbox
    assert message.to == ["sanne@example.org"]
    assert message.subject == f"Je pakket ligt klaar bij {point.name}"
    assert parcel.pickup_code in message.body and "Ma–za 9:00–18:00" in message.body
    assert "Langestraat 12" in message.body and "17 juni 2026" in message.body  # received the 10th, 7 days
    html = _html(message)
    assert parcel.pickup_code in html and 'src="cid:pickup-qr"' in html and point.area.name in html
    (image,) = _qr_images(message)
    assert image["Content-ID"] == "<pickup-qr>"
    assert image.get_payload(decode=True).startswith(b"\x89PNG")
    assert ParcelNotice.objects.filter(parcel=parcel, kind=NoticeKind.READY, sent_at__isnull=False).count() == 1


def test_the_qr_in_the_email_encodes_the_pickup_payload(point, staff, now, mailoutbox):
    from PIL import Image

    parcel = receive(point, staff, at=now)
    assert services.send_ready_notice(parcel_id=parcel.pk, now=now)
    (image,) = _qr_images(mailoutbox[0])
    picture = Image.open(__import__("io").BytesIO(image.get_payload(decode=True)))
    assert picture.size[0] >= 200  # big enough for a desk scanner
    # The payload drawn is the one the desk accepts (decoding is the browser test's job).
    assert pickup_qr_payload(parcel).startswith("AGORA-PARCEL:")


def test_a_member_gets_the_email_in_their_language_and_the_areas_time_zone(point, staff, person, mailoutbox):
    # given: an English-speaking member's order from the webshop, scanned in half past midnight Amsterdam time
    person.preferred_language = "en"
    person.save()
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[0],
        recipient_name="",
        recipient_email="",
        source=AnnouncementSource.WEBSHOP,
        member=person,
    )
    at = datetime(2026, 6, 10, 0, 30, tzinfo=AMSTERDAM)  # still the 9th in UTC
    parcel = services.receive_parcel(point=point, raw_code=UPS_CODES[0], by=staff, request_key=key(), now=at).parcel
    # when
    assert services.send_ready_notice(parcel_id=parcel.pk, now=at)
    # then: seven days from the 10th, not from the 9th
    (message,) = mailoutbox
    assert message.subject == f"Your parcel is ready at {point.name}"
    assert "17 June 2026" in message.body and "Your pickup code:" in message.body


def test_the_ready_notice_goes_once_however_often_the_task_runs(point, staff, now, mailoutbox):
    parcel = receive(point, staff, at=now)
    assert services.send_ready_notice(parcel_id=parcel.pk, now=now)
    assert not services.send_ready_notice(parcel_id=parcel.pk, now=now)
    assert len(mailoutbox) == 1


def test_reminders_on_day_3_and_6_and_the_last_day_notice_each_once(point, staff, now, mailoutbox):
    # given: received Wednesday 10 June, 7 storage days: the last day is Wednesday 17 June
    parcel = receive(point, staff, at=now)
    at = lambda day, hour: datetime(2026, 6, day, hour, 0, tzinfo=AMSTERDAM)  # noqa: E731

    def run(when):
        mailoutbox.clear()
        count = services.send_due_reminders(now=when)
        assert count == len(mailoutbox)
        return [message.subject for message in mailoutbox]

    # then
    assert run(at(12, 9)) == []
    assert run(at(13, 7)) == []  # not before 8 in the morning
    assert run(at(13, 9)) == [f"Herinnering: je pakket wacht op je bij {point.name}"]
    assert run(at(13, 10)) == []  # the hourly job again: nothing twice
    assert run(at(16, 8)) == [f"Herinnering: je pakket wacht op je bij {point.name}"]
    assert run(at(17, 8)) == [f"Laatste dag: haal je pakket vandaag op bij {point.name}"]
    assert run(at(17, 9)) == []
    assert run(at(18, 9)) == []
    kinds = list(ParcelNotice.objects.filter(parcel=parcel).values_list("kind", "day"))
    assert sorted(kinds) == [("last_day", 0), ("reminder", 3), ("reminder", 6)]


def test_a_job_that_missed_days_sends_one_reminder_not_a_backlog(point, staff, now, mailoutbox):
    receive(point, staff, at=now)
    assert services.send_due_reminders(now=datetime(2026, 6, 16, 12, 0, tzinfo=AMSTERDAM)) == 1
    assert list(ParcelNotice.objects.filter(kind="reminder").values_list("day", flat=True)) == [6]


def test_the_point_sets_the_reminder_days(point, staff, now, mailoutbox):
    point.reminder_days = "2"
    point.save()
    receive(point, staff, at=now)
    assert services.send_due_reminders(now=datetime(2026, 6, 12, 9, 0, tzinfo=AMSTERDAM)) == 1
    assert services.send_due_reminders(now=datetime(2026, 6, 16, 9, 0, tzinfo=AMSTERDAM)) == 0


def test_parcels_of_one_recipient_due_together_share_one_reminder(point, staff, now, mailoutbox):
    first = receive(point, staff, at=now)
    second = receive(point, staff, at=now + timedelta(minutes=3))
    assert services.send_due_reminders(now=datetime(2026, 6, 13, 9, 0, tzinfo=AMSTERDAM)) == 1
    (message,) = mailoutbox
    assert "2 pakketten" in message.subject
    assert first.tracking_code in message.body and second.tracking_code in message.body
    assert ParcelNotice.objects.filter(kind="reminder").count() == 2


def test_nothing_is_sent_about_parcels_already_picked_up(point, staff, now, mailoutbox):
    parcel = receive(point, staff, at=now)
    services.hand_out_parcels(
        point=point,
        parcel_ids=[parcel.pk],
        pickup_code_or_token=parcel.pickup_code,
        by=staff,
        request_key=key(),
        now=now + timedelta(days=1),
    )
    mailoutbox.clear()
    for day in (13, 16, 17):
        assert services.send_due_reminders(now=datetime(2026, 6, day, 9, 0, tzinfo=AMSTERDAM)) == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_failed_send_gives_the_claim_back(point, staff, now, settings, mailoutbox):
    parcel = receive(point, staff, at=now)
    settings.EMAIL_BACKEND = "parcels.tests.test_notices.FailingBackend"
    assert not services.send_ready_notice(parcel_id=parcel.pk, now=now)
    assert not ParcelNotice.objects.filter(parcel=parcel).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.send_ready_notice(parcel_id=parcel.pk, now=now)


class FailingBackend:
    """The mail server is down (the one fake, at the edge)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")
