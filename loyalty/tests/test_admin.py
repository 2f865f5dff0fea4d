"""The loyalty admin: read-only passes and ledger, editable rules, viewing a pass is audited."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, give_totp
from loyalty import services
from loyalty.models import LedgerEntry, LoyaltySettings, OnlinePointsShare, Pass, PassStatus, TillTransaction
from loyalty.services import OnlinePurchase
from privacy.models import AuditEntry

from .factories import award, rules_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(client):
    admin = StaffMembershipFactory(role=Role.PLATFORM_ADMIN).user
    admin.is_staff = True
    admin.save()
    give_totp(admin)
    client.force_login(admin)
    return admin


def test_every_loyalty_page_of_the_admin_renders(client, platform_admin, area, merchant, cashier, member_pass, now):
    rules_for(area, welcome_bonus_points=5)
    award(merchant, member_pass, 1000, at=now, by=cashier)
    services.award_online_points(
        member=member_pass.member,
        area=area,
        purchases=[OnlinePurchase(merchant.pk, 2500)],
        order_ref="order-1",
        now=now,
    )
    for model in (LoyaltySettings, Pass, LedgerEntry, TillTransaction, OnlinePointsShare):
        url = reverse(f"admin:loyalty_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    shares = client.get(reverse("admin:loyalty_onlinepointsshare_changelist")).content.decode()
    assert merchant.trade_name in shares and member_pass.card_number_display in shares
    page = client.get(reverse("admin:loyalty_pass_change", args=[member_pass.pk]))
    assert page.status_code == 200
    assert member_pass.totp_secret not in page.content.decode()  # the app's key never shows
    assert client.get(reverse("admin:loyalty_ledgerentry_change", args=[LedgerEntry.objects.first().pk])).status_code
    assert client.get(reverse("admin:loyalty_merchantloyalty_changelist")).status_code == 200


def test_looking_at_a_members_pass_is_audited(client, platform_admin, member_pass):
    client.get(reverse("admin:loyalty_pass_change", args=[member_pass.pk]))
    entry = AuditEntry.objects.get(actor=platform_admin, subject=member_pass.member, action="view")
    assert entry.object_type == "loyalty.pass" and entry.via == "admin" and "postcode" in entry.fields


def test_passes_are_blocked_through_the_service(client, platform_admin, member_pass):
    response = client.post(
        reverse("admin:loyalty_pass_changelist"),
        {"action": "block_selected", "_selected_action": [member_pass.pk]},
    )
    assert response.status_code == 302
    assert Pass.objects.get(pk=member_pass.pk).status == PassStatus.BLOCKED
    assert AuditEntry.objects.filter(actor=platform_admin, subject=member_pass.member, action="change").exists()


def test_the_ledger_cannot_be_edited_or_deleted_in_the_admin(
    client, platform_admin, merchant, cashier, member_pass, now
):
    award(merchant, member_pass, 1000, at=now, by=cashier)
    entry = LedgerEntry.objects.get()
    response = client.post(reverse("admin:loyalty_ledgerentry_change", args=[entry.pk]), {"points": 1000})
    assert response.status_code == 403
    assert client.get(reverse("admin:loyalty_ledgerentry_delete", args=[entry.pk])).status_code == 403
    assert LedgerEntry.objects.get().points == 10


def test_a_manager_issues_a_campaigns_vouchers_from_the_admin_after_saying_what_they_are_worth(client, area, now):
    # The admin speaks the person's language; the test reads English.
    client.cookies["django_language"] = "en"
    from loyalty.models import Voucher, VoucherKind

    from .factories import PassFactory
    from .rewards_helpers import make_campaign

    # given: an area manager in the admin, a campaign for everyone, two members
    manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user
    manager.is_staff = True
    manager.save()
    give_totp(manager)
    client.force_login(manager)
    campaign = make_campaign(area, now=now, name="Koopavond")
    PassFactory(area=area, now=now)
    PassFactory(area=area, now=now)
    url = reverse("admin:loyalty_campaign_changelist")
    chosen = {"action": "issue_vouchers", "_selected_action": [campaign.pk]}

    # when: they choose the action, the admin asks what the voucher is; nothing is issued yet
    page = client.post(url, chosen)
    assert page.status_code == 200 and 'name="apply"' in page.content.decode()
    assert not Voucher.objects.exists()

    # a fixed amount without its value is refused on its field, nothing issued
    refused = client.post(url, {**chosen, "apply": "1", "kind": "fixed", "valid_days": "30", "batch": "1"})
    assert refused.context["form"].errors["value"] == ["A fixed-amount voucher needs its value."]
    assert not Voucher.objects.exists()

    # then: with a value, each member gets one; the same batch again gives nobody a second
    data = {**chosen, "apply": "1", "kind": "fixed", "value": "2,50", "valid_days": "30", "batch": "1"}
    done = client.post(url, data, follow=True)
    assert [str(message) for message in done.context["messages"]] == ["2 vouchers issued."]
    client.post(url, data)
    vouchers = Voucher.objects.filter(campaign=campaign)
    assert vouchers.count() == 2 and {(v.kind, v.value_cents) for v in vouchers} == {(VoucherKind.FIXED, 250)}
