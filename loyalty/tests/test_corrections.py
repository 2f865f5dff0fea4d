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
from loyalty.exceptions import (
    CorrectionDecided,
    InsufficientPoints,
    InvalidAdjustment,
    NotAllowed,
    OwnCorrection,
    SecondApprovalRequired,
)
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


def give(member_pass, points, *, now=None):
    """Points on the pass, from a correction two other managers made (so it counts for nobody's 24 hours)."""
    area = member_pass.area
    asking, approving = person_with(Role.AREA_MANAGER, area=area), person_with(Role.AREA_MANAGER, area=area)
    services.adjust_points(
        pass_id=member_pass.pk, points=points, reason="Startsaldo", by=asking, approved_by=approving, now=now
    )


def test_a_waiting_correction_not_applied_changes_nothing_and_stays_decided(member_pass, manager, second, now):
    give(member_pass, 200, now=now)
    withdrawn = correct(member_pass, -150, manager, now=now).correction
    refused = correct(member_pass, 300, manager, now=now).correction

    services.reject_correction(correction_id=withdrawn.pk, by=manager)  # the one who asked withdraws it
    services.reject_correction(correction_id=refused.pk, by=second)

    assert [c.status for c in PointsCorrection.objects.order_by("pk")] == [CorrectionStatus.REJECTED] * 2
    assert balance(member_pass) == 200 and LedgerEntry.objects.filter(kind=EntryKind.ADJUST).count() == 1
    with pytest.raises(CorrectionDecided):
        services.approve_correction(correction_id=refused.pk, by=second)


def test_a_deduction_larger_than_the_balance_is_refused_when_asked_for(member_pass, manager, now):
    give(member_pass, 162, now=now)

    with pytest.raises(InsufficientPoints) as above_threshold:
        correct(member_pass, -300, manager, now=now)  # would wait for a second manager who could never apply it
    with pytest.raises(InsufficientPoints) as within:
        correct(member_pass, -163, manager, now=now)

    assert above_threshold.value.errors == {
        "points": ["The pass has 162 points: a correction cannot take off more than the pass has."]
    }
    assert (within.value.needed, within.value.available) == (163, 162)
    assert not PointsCorrection.objects.exists() and balance(member_pass) == 162
    assert correct(member_pass, -162, manager, now=now).correction.points == -162  # all of it may wait


def test_a_deduction_the_balance_no_longer_covers_keeps_waiting_and_says_so(member_pass, manager, second, now):
    give(member_pass, 200, now=now)
    waiting = correct(member_pass, -150, manager, now=now).correction
    correct(member_pass, -90, second, now=now)  # meanwhile: the balance drops to 110

    with pytest.raises(InsufficientPoints) as refused:
        services.approve_correction(correction_id=waiting.pk, by=second)

    assert refused.value.message == (
        "This correction takes off 150 points, but the pass has only 110 points now: it cannot be applied. Choose"
        " “Do not apply”, and ask for a new correction if some points must still come off."
    )
    waiting.refresh_from_db()
    assert waiting.status == CorrectionStatus.PENDING and balance(member_pass) == 110
    services.reject_correction(correction_id=waiting.pk, by=second)  # the way out
    waiting.refresh_from_db()
    assert waiting.status == CorrectionStatus.REJECTED and balance(member_pass) == 110


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
    "points, reason, field",
    [
        (0, "Niets gescand vandaag", "points"),
        (5, "   ", "reason"),
        (True, "Ja, echt waar gebeurd", "points"),
        (1_000_001, "Te veel punten gegeven", "points"),
        (5, "x" * 201, "reason"),
        (5, "x", "reason"),
        (5, "  Bon 12   ", "reason"),  # 6 characters once stripped
    ],
)
def test_a_correction_needs_points_and_a_reason(member_pass, manager, points, reason, field):
    with pytest.raises(InvalidAdjustment) as refused:
        correct(member_pass, points, manager, reason=reason)

    assert set(refused.value.errors) == {field}
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUST).exists()


def test_every_step_is_audited_and_the_member_reads_why(member_pass, manager, second, now):
    waiting = correct(member_pass, 250, manager, now=now, reason="Kassa lag eruit op 3 juni").correction
    services.approve_correction(correction_id=waiting.pk, by=second, now=now)

    actors = list(
        AuditEntry.objects.filter(subject=member_pass.member, action="change").values_list("actor", flat=True)
    )
    assert manager.pk in actors and second.pk in actors
    # the balance changed at the second manager's click: the audit names them for it, not the one who asked
    balance_changes = AuditEntry.objects.filter(subject=member_pass.member, action="change", fields=["points_balance"])
    assert list(balance_changes.values_list("actor", flat=True)) == [second.pk]
    assert pass_history(member_pass).entries[0]["label"] == "Correction: Kassa lag eruit op 3 juni"


def test_the_audit_says_which_decision_was_taken_and_by_whom(member_pass, manager, second, now):
    applied = correct(member_pass, 250, manager, now=now).correction
    rejected = correct(member_pass, 300, manager, now=now).correction
    withdrawn = correct(member_pass, 400, manager, now=now).correction

    services.approve_correction(correction_id=applied.pk, by=second, now=now)
    services.reject_correction(correction_id=rejected.pk, by=second, now=now)
    services.reject_correction(correction_id=withdrawn.pk, by=manager, now=now)

    steps = {
        (actor, field)
        for actor, fields in AuditEntry.objects.filter(subject=member_pass.member, action="change").values_list(
            "actor", "fields"
        )
        for field in fields
        if field.startswith("points_correction")
    }
    assert steps == {
        (manager.pk, f"points_correction {applied.pk}: requested"),
        (manager.pk, f"points_correction {rejected.pk}: requested"),
        (manager.pk, f"points_correction {withdrawn.pk}: requested"),
        (second.pk, f"points_correction {applied.pk}: approved"),
        (second.pk, f"points_correction {rejected.pk}: rejected"),
        (manager.pk, f"points_correction {withdrawn.pk}: withdrawn"),
    }


# --- One manager's corrections of a pass count together for 24 hours ----------------------------------------------


def test_corrections_split_into_small_ones_wait_for_a_second_manager(member_pass, manager, second, now):
    # given: the threshold is 100; one manager corrects the pass in steps
    first = correct(member_pass, 60, manager, now=now)
    second_step = correct(member_pass, 40, manager, now=now + timedelta(hours=1))

    # when: a third step takes the day's corrections above the threshold
    third = correct(member_pass, 30, manager, now=now + timedelta(hours=2))

    # then: the first two are applied, the third waits like a large one, and says what it was counted with
    assert first.entry and second_step.entry and third.entry is None
    assert third.correction.status == CorrectionStatus.PENDING
    assert (third.together_with, third.threshold) == (100, 100)
    assert balance(member_pass) == 100
    services.approve_correction(correction_id=third.correction.pk, by=second, now=now + timedelta(hours=3))
    assert balance(member_pass) == 130


def test_deductions_count_by_their_size(member_pass, manager, now):
    correct(member_pass, 80, manager, now=now)

    taken_back = correct(member_pass, -30, manager, now=now + timedelta(minutes=5))

    assert taken_back.entry is None and taken_back.together_with == 80 and balance(member_pass) == 80


def test_the_sum_counts_the_last_24_hours_only(member_pass, manager, now):
    correct(member_pass, 100, manager, now=now)

    day_later = correct(member_pass, 100, manager, now=now + timedelta(hours=24, minutes=1))
    same_day = correct(member_pass, 1, manager, now=now + timedelta(hours=24, minutes=2))

    assert day_later.entry is not None and same_day.entry is None and balance(member_pass) == 200


def test_another_managers_corrections_and_approved_ones_do_not_count(member_pass, manager, second, now):
    waiting = correct(member_pass, 150, manager, now=now).correction
    services.approve_correction(correction_id=waiting.pk, by=second, now=now)  # four eyes already
    theirs = correct(member_pass, 100, second, now=now)

    mine = correct(member_pass, 100, manager, now=now)

    assert theirs.entry is not None and mine.entry is not None and balance(member_pass) == 350
    other_pass = PassFactory(area=member_pass.area)
    assert correct(other_pass, 100, manager, now=now).entry is not None  # another pass: its own count


def test_adjust_points_called_directly_counts_them_too(member_pass, manager, now):
    services.adjust_points(pass_id=member_pass.pk, points=70, reason="Bon 1", by=manager, now=now)

    with pytest.raises(SecondApprovalRequired) as refused:
        services.adjust_points(pass_id=member_pass.pk, points=70, reason="Bon 2", by=manager, now=now)

    assert "last 24 hours" in refused.value.message and balance(member_pass) == 70


def test_a_repeated_submit_of_an_applied_correction_stays_applied(member_pass, manager, now):
    key = uuid.uuid4()
    first = correct(member_pass, 100, manager, key=key, now=now)

    again = correct(member_pass, 100, manager, key=key, now=now)

    assert again.entry == first.entry and not PointsCorrection.objects.exists() and balance(member_pass) == 100


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
    give(member_pass, 250)
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
    assert "+300 points on pass" in response.content.decode() and balance(member_pass) == 550
    refused = client.post(reverse("loyalty:correction_approve", kwargs={"correction_pk": mine.pk}), follow=True)
    assert "not the one who asked for it" in refused.content.decode() and balance(member_pass) == 550


def test_bad_input_is_refused_on_its_field_and_nothing_changes(client, area, member_pass, manager):
    client.force_login(manager)

    wrong_card = client.get(area_url(area), {"card": "1234 5678 9012"})
    unknown = client.get(area_url(area), {"card": PassFactory(area=ShoppingAreaFactory()).card_number})
    empty = client.post(pass_url(member_pass), {"points": "0", "reason": ""})
    too_much = client.post(pass_url(member_pass), {"points": "-5", "reason": "Te veel gespaard"})

    assert wrong_card.status_code == 400 and "This is not a card number" in wrong_card.content.decode()
    assert unknown.status_code == 400 and "No pass with this number in this shopping area." in unknown.content.decode()
    assert empty.status_code == 400 and set(empty.context["form"].errors) == {"points", "reason"}
    assert too_much.status_code == 400 and too_much.context["form"].errors == {
        "points": ["The pass has 0 points: a correction cannot take off more than the pass has."]
    }
    assert balance(member_pass) == 0 and not LedgerEntry.objects.filter(kind=EntryKind.ADJUST).exists()


def test_the_form_names_its_bounds_the_balance_and_what_a_reason_is_for(client, area, member_pass, manager):
    client.force_login(manager)
    give(member_pass, 162)

    def errors(data, language="en"):
        with translation.override(language):
            url = pass_url(member_pass).replace("/en/", f"/{language}/")
            response = client.post(url, {"request_key": str(uuid.uuid4()), **data})
        assert response.status_code == 400
        return response.context["form"].errors

    assert errors({"points": "99999999", "reason": "Bon 4411 niet gescand"}) == {
        "points": ["A correction is at most 1,000,000 points either way."]
    }
    assert "1.000.000" in errors({"points": "99999999", "reason": "Bon 4411 niet gescand"}, "nl")["points"][0]
    assert errors({"points": "-300", "reason": "Dubbel gespaard"}) == {
        "points": ["The pass has 162 points: a correction cannot take off more than the pass has."]
    }
    assert errors({"points": "20", "reason": "  x  "}) == {
        "reason": ["Say what happened, in at least 10 characters: the reason is read in the audit and by the member."]
    }
    assert balance(member_pass) == 162 and not PointsCorrection.objects.exists()


def test_the_second_manager_is_told_a_deduction_no_longer_fits_and_can_refuse_it(
    client, area, member_pass, manager, second
):
    give(member_pass, 200)
    waiting = correct(member_pass, -150, manager).correction
    correct(member_pass, -90, second)  # the balance drops to 110 meanwhile
    client.force_login(second)

    page = client.get(area_url(area)).content.decode()
    card = page[page.index(f'id="correction-{waiting.pk}"') :][:1500]
    assert "The pass has only 110 points now: this correction cannot be applied as it is." in card
    assert "Do not apply" in card

    approve = reverse("loyalty:correction_approve", kwargs={"correction_pk": waiting.pk})
    refused = client.post(approve, follow=True).content.decode()
    assert "takes off 150 points, but the pass has only 110 points now: it cannot be applied." in refused
    assert "Choose “Do not apply”" in refused

    reject = reverse("loyalty:correction_reject", kwargs={"correction_pk": waiting.pk})
    done = client.post(reject, follow=True).content.decode()
    assert "−150 points on pass" in done and "not applied." in done
    assert PointsCorrection.objects.get(pk=waiting.pk).status == CorrectionStatus.REJECTED
    assert balance(member_pass) == 110


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


def test_the_page_says_why_a_small_correction_waits(client, member_pass, manager):
    client.force_login(manager)
    client.post(
        pass_url(member_pass), {"points": "60", "reason": "Bon 1 niet gescand", "request_key": str(uuid.uuid4())}
    )
    page = client.get(pass_url(member_pass)).content.decode()
    assert "You corrected this pass by 60 points on your own in the last 24 hours" in page

    response = client.post(
        pass_url(member_pass),
        {"points": "-50", "reason": "Bon 2 dubbel gescand", "request_key": str(uuid.uuid4())},
        follow=True,
    )

    assert (
        "waits for a second manager of the area to apply it: together with your corrections of this pass in the last "
        "24 hours (60 points) it is more than 100 points." in response.content.decode()
    )
    assert balance(member_pass) == 60 and PointsCorrection.objects.get().points == -50
