"""A lost phone or printed card (`services.replace_pass_codes`, /<lang>/mijn/kwijt/ and the manager's pass page): the
pass gets a new card number and app secret; the old card and the lost phone's codes stop working; points, history
and the rest stay; a blocked pass works again. Pages are read in English."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from areas.tests.factories import ShoppingAreaFactory
from loyalty import services
from loyalty.codes import group_card_number, is_valid_card_number
from loyalty.exceptions import NotAllowed, PassNotFound
from loyalty.models import Pass, PassStatus
from privacy.models import AuditEntry

from .factories import award, person_with, qr

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_a_new_number_stops_the_old_card_and_app_and_keeps_the_points(merchant, cashier, member_pass, now):
    award(merchant, member_pass, 2500, at=now, by=cashier)
    services.set_pin(pass_id=member_pass.pk, pin="4321", by=member_pass.member)
    services.block_pass(pass_id=member_pass.pk, by=member_pass.member)
    old_card, old_code = member_pass.card_number, qr(member_pass, now)
    before = Pass.objects.get(pk=member_pass.pk)

    replaced = services.replace_pass_codes(pass_id=member_pass.pk, by=member_pass.member)

    stored = Pass.objects.get(pk=member_pass.pk)
    assert stored.card_number == replaced.card_number != old_card and is_valid_card_number(stored.card_number)
    assert stored.totp_secret != before.totp_secret and stored.pin_hash == "" and not stored.has_pin
    assert stored.status == PassStatus.ACTIVE and stored.points_balance == before.points_balance == 25
    assert stored.till_version == before.till_version + 1
    later = now.replace(minute=5)
    for code in (old_card, old_code):  # the lost printed card, the lost phone's app
        with pytest.raises(PassNotFound):
            award(merchant, member_pass, 1000, at=later, by=cashier, code=code)
    result = award(merchant, stored, 1000, at=later, by=cashier)  # the new app code earns
    assert result.balance == 35
    assert not AuditEntry.objects.filter(subject=member_pass.member, actor=member_pass.member).exists()


def test_the_areas_manager_may_and_is_audited_others_may_not(area, merchant, member_pass, manager):
    for person in (
        person_with(Role.AREA_MANAGER, area=ShoppingAreaFactory()),
        person_with(Role.MERCHANT_OWNER, merchant=merchant),
    ):
        with pytest.raises(NotAllowed):
            services.replace_pass_codes(pass_id=member_pass.pk, by=person)
    old = member_pass.card_number

    services.replace_pass_codes(pass_id=member_pass.pk, by=manager)

    assert Pass.objects.get(pk=member_pass.pk).card_number != old
    assert AuditEntry.objects.filter(actor=manager, subject=member_pass.member, action="change").exists()


def test_an_erased_members_pass_stays_blocked(member_pass, manager):
    from privacy.services import erase_person

    erase_person(subject=member_pass.member, requested_by=member_pass.member)
    member_pass.member.refresh_from_db()

    for person in (member_pass.member, manager):
        with pytest.raises(NotAllowed):
            services.replace_pass_codes(pass_id=member_pass.pk, by=person)
    assert Pass.objects.get(pk=member_pass.pk).status == PassStatus.BLOCKED


def test_the_member_gets_a_new_number_from_the_app(client, member_pass):
    client.force_login(member_pass.member)
    old = group_card_number(member_pass.card_number)

    page = client.get(reverse("loyalty:lost_pass"))
    assert f"The old one, {old}, then no longer works" in page.content.decode()
    assert reverse("loyalty:lost_pass") in client.get(reverse("loyalty:pass")).content.decode()

    response = client.post(reverse("loyalty:lost_pass"), follow=True)

    new = group_card_number(Pass.objects.get(pk=member_pass.pk).card_number)
    text = response.content.decode()
    assert new != old and f"Your pass has a new card number: {new}." in text
    assert response.redirect_chain[-1][0] == reverse("loyalty:pass") and new in text


def test_a_manager_gives_a_new_number_from_the_pass_page(client, member_pass, manager):
    client.force_login(manager)
    url = reverse("loyalty:pass_new_number", kwargs={"pass_pk": member_pass.pk})
    assert url in client.get(reverse("loyalty:pass_correction", kwargs={"pass_pk": member_pass.pk})).content.decode()

    response = client.post(url, follow=True)

    new = group_card_number(Pass.objects.get(pk=member_pass.pk).card_number)
    assert f"The pass has a new card number: {new}." in response.content.decode()
    assert client.get(url).status_code == 405  # only a form's POST does it
