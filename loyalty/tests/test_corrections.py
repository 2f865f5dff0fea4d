"""Corrections of a pass's points by the area's managers (`services.corrections`, /<lang>/correcties/): within the
area's threshold at once, above it waiting for a second manager who applies it (or anyone deciding it is not
applied); decided once; who may; what the member sees. Pages are read in English (/en/ URLs)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from areas.tests.factories import ShoppingAreaFactory
from loyalty import services
from loyalty.codes import group_card_number
from loyalty.exceptions import CorrectionDecided, InsufficientPoints, InvalidAdjustment, NotAllowed, OwnCorrection
from loyalty.models import CorrectionStatus, EntryKind, LedgerEntry, Pass, PointsCorrection
from loyalty.selectors import pass_history
from privacy.models import AuditEntry

from .factories import PassFactory, cashier_for, person_with, rules_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def second(area):
    """Another manager of the area."""
    return person_with(Role.AREA_MANAGER, area=area)


@pytest.fixture(autouse=True)
def _threshold(area):
    rules_for(area, adjustment_approval_threshold=100)


def correct(member_pass, points, by, *, reason="Aankoop niet gescand", key=None, now=None):
    return services.correct_points(
        pass_id=member_pass.pk, points=points, reason=reason, by=by, request_key=key or uuid.uuid4(), now=now
    )


def balance(member_pass) -> int:
    return Pass.objects.get(pk=member_pass.pk).points_balance


# --- The rules ---------------------------------------------------------------------------------------------------


def test_a_correction_within_the_threshold_is_applied_at_once(member_pass, manager, now):
    result = correct(member_pass, 100, manager, now=now)

    assert result.correction is None
    assert (result.entry.kind, result.entry.points, result.entry.by, result.entry.approved_by) == (
        EntryKind.ADJUST,
        100,
        manager,
        None,
    )
    assert balance(member_pass) == 100 and not PointsCorrection.objects.exists()


def test_a_larger_one_waits_and_a_second_manager_applies_it(member_pass, manager, second, now):
    key = uuid.uuid4()
    waiting = correct(member_pass, 101, manager, key=key, now=now).correction

    assert waiting.status == CorrectionStatus.PENDING and balance(member_pass) == 0
    assert correct(member_pass, 101, manager, key=key, now=now).correction.pk == waiting.pk  # a double submit
    with pytest.raises(OwnCorrection):
        services.approve_correction(correction_id=waiting.pk, by=manager)

    applied = services.approve_correction(correction_id=waiting.pk, by=second, now=now + timedelta(hours=1))

    assert (applied.status, applied.decided_by, applied.entry.points) == (CorrectionStatus.APPLIED, second, 101)
    entry = LedgerEntry.objects.get(kind=EntryKind.ADJUST)
    assert (entry.by, entry.approved_by, entry.request_key, entry.reason) == (
        manager,
        second,
        key,
        "Aankoop niet gescand",
    )
    assert balance(member_pass) == 101
    with pytest.raises(CorrectionDecided):  # a second click, or a third manager at the same time
        services.approve_correction(correction_id=waiting.pk, by=person_with(Role.AREA_MANAGER, area=member_pass.area))
    assert LedgerEntry.objects.filter(kind=EntryKind.ADJUST).count() == 1


def test_a_waiting_correction_not_applied_changes_nothing_and_stays_decided(member_pass, manager, second, now):
    withdrawn = correct(member_pass, -150, manager, now=now).correction
    refused = correct(member_pass, 300, manager, now=now).correction

    services.reject_correction(correction_id=withdrawn.pk, by=manager)  # the one who asked withdraws it
    services.reject_correction(correction_id=refused.pk, by=second)

    assert [c.status for c in PointsCorrection.objects.order_by("pk")] == [CorrectionStatus.REJECTED] * 2
    assert balance(member_pass) == 0 and not LedgerEntry.objects.filter(kind=EntryKind.ADJUST).exists()
    with pytest.raises(CorrectionDecided):
        services.approve_correction(correction_id=refused.pk, by=second)


def test_a_deduction_the_balance_no_longer_covers_keeps_waiting(member_pass, manager, second, now):
    correct(member_pass, 90, manager, now=now)
    waiting = correct(member_pass, -150, manager, now=now).correction

    with pytest.raises(InsufficientPoints):
        services.approve_correction(correction_id=waiting.pk, by=second)

    waiting.refresh_from_db()
    assert waiting.status == CorrectionStatus.PENDING and balance(member_pass) == 90


def test_only_the_areas_managers_correct_and_decide(area, merchant, member_pass, manager, now):
    waiting = correct(member_pass, 500, manager, now=now).correction
    others = [member_pass.member, cashier_for(merchant), person_with(Role.AREA_MANAGER, area=ShoppingAreaFactory())]
    for person in others:
        with pytest.raises(NotAllowed):
            correct(member_pass, 5, person)
        for decide in (services.approve_correction, services.reject_correction):
            with pytest.raises(NotAllowed):
                decide(correction_id=waiting.pk, by=person)
    assert PointsCorrection.objects.get().status == CorrectionStatus.PENDING and balance(member_pass) == 0


@pytest.mark.parametrize(
    "points, reason", [(0, "Niets"), (5, "   "), (True, "Ja"), (1_000_001, "Te veel"), (5, "x" * 201)]
)
def test_a_correction_needs_points_and_a_reason(member_pass, manager, points, reason):
    with pytest.raises(InvalidAdjustment):
        correct(member_pass, points, manager, reason=reason)


def test_every_step_is_audited_and_the_member_reads_why(member_pass, manager, second, now):
    waiting = correct(member_pass, 250, manager, now=now, reason="Kassa lag eruit op 3 juni").correction
    services.approve_correction(correction_id=waiting.pk, by=second, now=now)

    actors = list(
        AuditEntry.objects.filter(subject=member_pass.member, action="change").values_list("actor", flat=True)
    )
    assert manager.pk in actors and second.pk in actors
    assert pass_history(member_pass).entries[0]["label"] == "Correction: Kassa lag eruit op 3 juni"


# --- The pages ---------------------------------------------------------------------------------------------------


def area_url(area):
    return reverse("loyalty:corrections", kwargs={"area": area.slug})


def pass_url(member_pass):
    return reverse("loyalty:pass_correction", kwargs={"pass_pk": member_pass.pk})


def test_a_manager_finds_a_pass_by_its_number_and_corrects_it(client, area, member_pass, manager):
    client.force_login(manager)
    start = client.get(reverse("loyalty:corrections_start"))
    assert start.status_code == 302 and start["Location"] == area_url(area)

    typed = group_card_number(member_pass.card_number).replace(" ", " - ")
    found = client.get(area_url(area), {"card": typed})
    assert found.status_code == 302 and found["Location"] == pass_url(member_pass)
    page = client.get(pass_url(member_pass))
    assert "Sanne" in page.content.decode() and page.context["member_pass"] == member_pass
    assert AuditEntry.objects.filter(actor=manager, subject=member_pass.member, action="view").exists()

    key = str(uuid.uuid4())
    data = {"points": "40", "reason": "Bon 4411 niet gescand", "request_key": key}
    response = client.post(pass_url(member_pass), data, follow=True)
    client.post(pass_url(member_pass), data)  # a double submit

    assert (
        "+40 points on pass" in response.content.decode() and "the correction is applied" in response.content.decode()
    )
    assert balance(member_pass) == 40 and LedgerEntry.objects.filter(kind=EntryKind.ADJUST).count() == 1
    assert "Bon 4411 niet gescand" in response.content.decode()  # in the latest corrections


def test_a_large_correction_waits_on_the_page_for_the_second_manager(client, area, member_pass, manager, second):
    client.force_login(manager)
    data = {"points": "-250", "reason": "Dubbel gespaard", "request_key": str(uuid.uuid4())}
    correct(member_pass, 300, second)  # waiting too, asked by the second manager
    client.post(pass_url(member_pass), data)
    mine, theirs = PointsCorrection.objects.get(points=-250), PointsCorrection.objects.get(points=300)
    pass_page = client.get(pass_url(member_pass)).content.decode()
    other_page = client.get(pass_url(PassFactory(area=area))).content.decode()
    assert "2 corrections of this pass already wait for a second manager." in pass_page
    assert "already wait" not in other_page

    page = client.get(area_url(area)).content.decode()
    own_card = page[page.index(f'id="correction-{mine.pk}"') :][:1200]
    their_card = page[page.index(f'id="correction-{theirs.pk}"') :][:1200]
    assert "Another manager of the area applies it." in own_card and "Withdraw" in own_card
    assert "Apply" in their_card and "Do not apply" in their_card

    response = client.post(reverse("loyalty:correction_approve", kwargs={"correction_pk": theirs.pk}), follow=True)
    assert "+300 points on pass" in response.content.decode() and balance(member_pass) == 300
    refused = client.post(reverse("loyalty:correction_approve", kwargs={"correction_pk": mine.pk}), follow=True)
    assert "not the one who asked for it" in refused.content.decode() and balance(member_pass) == 300


def test_bad_input_is_refused_on_its_field_and_nothing_changes(client, area, member_pass, manager):
    client.force_login(manager)

    wrong_card = client.get(area_url(area), {"card": "1234 5678 9012"})
    unknown = client.get(area_url(area), {"card": PassFactory(area=ShoppingAreaFactory()).card_number})
    empty = client.post(pass_url(member_pass), {"points": "0", "reason": ""})
    too_much = client.post(pass_url(member_pass), {"points": "-5", "reason": "Te veel"})

    assert wrong_card.status_code == 400 and "This is not a card number" in wrong_card.content.decode()
    assert unknown.status_code == 400 and "No pass with this number in this shopping area." in unknown.content.decode()
    assert empty.status_code == 400 and set(empty.context["form"].errors) == {"points", "reason"}
    assert too_much.status_code == 400 and "Not enough points on this pass." in too_much.content.decode()
    assert balance(member_pass) == 0 and not LedgerEntry.objects.filter(kind=EntryKind.ADJUST).exists()


def test_others_do_not_see_the_pages(client, area, merchant, member_pass, manager):
    waiting = correct(member_pass, 500, manager).correction
    pages = [area_url(area), pass_url(member_pass)]
    decisions = [
        reverse(f"loyalty:correction_{name}", kwargs={"correction_pk": waiting.pk}) for name in ("approve", "reject")
    ]
    for person in (
        person_with(Role.AREA_MANAGER, area=ShoppingAreaFactory()),
        person_with(Role.MERCHANT_OWNER, merchant=merchant),
    ):
        client.force_login(person)
        for url in pages + decisions:
            response = client.get(url) if url in pages else client.post(url)
            assert response.status_code == 404, url
    assert PointsCorrection.objects.get().status == CorrectionStatus.PENDING


def test_the_pages_speak_dutch(client, area, member_pass, manager):
    client.force_login(manager)
    correct(member_pass, 500, manager)
    with translation.override("nl"):
        page = client.get(area_url(area).replace("/en/", "/nl/")).content.decode()
        form = client.get(pass_url(member_pass).replace("/en/", "/nl/")).content.decode()
    assert "Wacht op een tweede beheerder" in page and "Kaartnummer" in page
    assert "Punten corrigeren" in form and "Reden" in form


def test_the_member_finds_the_correction_and_why_in_their_export(member_pass, manager, now):
    from privacy.services import export_personal_data

    correct(member_pass, 500, manager, reason="Bon 77 niet gescand", now=now)

    export = export_personal_data(subject=member_pass.member, requested_by=member_pass.member)

    section = export["data"]["loyalty.pointscorrection"]
    assert section["label"] == "Corrections of your points"
    assert [(row["points"], row["reason"], row["status"]) for row in section["rows"]] == [
        (500, "Bon 77 niet gescand", "pending")
    ]
