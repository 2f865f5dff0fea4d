"""The loyalty admin: read-only passes and ledger, editable rules, viewing a pass is audited."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from areas.tests.factories import StaffMembershipFactory, give_totp
from loyalty import services
from loyalty.models import (
    Campaign,
    GiftCardChange,
    LedgerEntry,
    LoyaltySettings,
    OnlinePointsShare,
    Pass,
    PassStatus,
    TillTransaction,
)
from loyalty.services import OnlinePurchase
from privacy.models import AuditEntry

from .factories import award, rules_for
from .rewards_helpers import make_campaign

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
    for model in (LoyaltySettings, Pass, LedgerEntry, TillTransaction, OnlinePointsShare, GiftCardChange):
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
    # (running now: the admin issues at the real time, and an ended campaign hands out no more vouchers)
    campaign = make_campaign(area, now=timezone.now(), name="Koopavond")
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


@pytest.fixture
def admin_manager(client, area):
    """The area's manager in the admin, reading English."""
    client.cookies["django_language"] = "en"
    manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user
    manager.is_staff = True
    manager.save()
    give_totp(manager)
    client.force_login(manager)
    return manager


def campaign_form(area, **fields) -> dict:
    starts = timezone.localtime(timezone.now() + timedelta(days=1), area.tz)
    return {
        "area": area.pk,
        "name": "Koopweek",
        "description": "",
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": "09:00:00",
        "ends_at_0": (starts + timedelta(days=7)).strftime("%Y-%m-%d"),
        "ends_at_1": "18:00:00",
        "kind": "multiplier",
        "multiplier_permille": "1500",
        "bonus_points": "0",
        "min_amount_cents": "0",
        "segment": "",
        "funded_by": "collective",
        "is_active": "on",
        **fields,
    }


def test_the_admin_refuses_a_campaign_with_the_services_rules_and_saves_through_it(client, area, admin_manager):
    url = reverse("admin:loyalty_campaign_add")
    refused = client.post(url, campaign_form(area, multiplier_permille="1000"))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["multiplier_permille"] == [
        "A multiplier campaign needs a factor above 1 and at most 10 (×1.5, ×2, ×3)."
    ]
    assert not Campaign.objects.exists()

    assert client.post(url, campaign_form(area)).status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.multiplier_permille, campaign.created_by) == (1500, admin_manager)


def test_a_started_campaigns_terms_are_read_only_in_the_admin_and_end_now_ends_it(client, area, admin_manager):
    campaign = make_campaign(area, now=timezone.now(), name="Zomer")
    url = reverse("admin:loyalty_campaign_change", args=[campaign.pk])
    form = client.get(url).context["adminform"].form
    assert set(form.fields) == {"name", "description", "name_en", "description_en", "ends_at"}

    data = {
        "name": "Zomerweek",
        "description": "",
        "ends_at_0": timezone.localtime(campaign.ends_at, area.tz).strftime("%Y-%m-%d"),
        "ends_at_1": timezone.localtime(campaign.ends_at, area.tz).strftime("%H:%M:%S"),
        "multiplier_permille": "5000",
    }
    assert client.post(url, data).status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.multiplier_permille) == ("Zomerweek", 2000)

    changelist = reverse("admin:loyalty_campaign_changelist")
    client.post(changelist, {"action": "end_now", "_selected_action": [campaign.pk]})
    assert Campaign.objects.get().ends_at <= timezone.now()


def reward_form(area, **fields) -> dict:
    return {
        "area": area.pk,
        "title": "Lunch",
        "description": "",
        "merchant": "",
        "cost_points": "100",
        "value_cents": "1250",
        "stock": "",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
        "voucher_valid_days": "90",
        "is_active": "on",
        **fields,
    }


def test_the_admin_keeps_rewards_through_the_service_and_its_rules(client, area, flemish_area, admin_manager):
    from areas.tests.factories import MerchantFactory
    from loyalty.models import Reward

    from .factories import PassFactory
    from .rewards_helpers import give_points

    url = reverse("admin:loyalty_reward_add")
    # the service's rule, on its field: the voucher is valid for at least a day
    refused = client.post(url, reward_form(area, voucher_valid_days="0"))
    assert refused.status_code == 200
    assert "voucher_valid_days" in refused.context["adminform"].form.errors
    elsewhere = MerchantFactory(area=flemish_area)
    refused = client.post(url, reward_form(area, merchant=elsewhere.pk))
    assert refused.status_code == 200 and "merchant" in refused.context["adminform"].form.errors
    assert not Reward.objects.exists()

    assert client.post(url, reward_form(area, stock="5")).status_code == 302
    reward = Reward.objects.get()
    assert (reward.area, reward.title, reward.value_cents, reward.stock) == (area, "Lunch", 1250, 5)

    # a member chooses one; the admin's form, drawn before, says 5 and changes the title only
    change = reverse("admin:loyalty_reward_change", args=[reward.pk])
    form = client.get(change).context["adminform"].form
    assert "area" not in form.fields  # a reward stays in its area
    member_pass = PassFactory(area=area, now=timezone.now())
    give_points(member_pass, 100, now=timezone.now())
    services.choose_reward(pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=uuid.uuid4())
    data = reward_form(area, title="Lunch voor twee", stock="5", **{"initial-stock": "5"})
    del data["area"]
    assert client.post(change, data).status_code == 302
    reward.refresh_from_db()
    assert (reward.title, reward.stock) == ("Lunch voor twee", 4)

    # once chosen, who funds it is fixed (the service's rule, shown on the field)
    data = {**data, "merchant": MerchantFactory(area=area).pk}
    refused = client.post(change, data)
    assert refused.status_code == 200 and "merchant" in refused.context["adminform"].form.errors
    reward.refresh_from_db()
    assert reward.merchant is None


def test_a_change_of_the_rules_is_audited_with_old_and_new_values(client, area, admin_manager):
    rules = rules_for(area, adjustment_approval_threshold=250)
    url = reverse("admin:loyalty_loyaltysettings_change", args=[rules.pk])
    form = client.get(url).context["adminform"].form
    data = {name: "" if value is None else value for name, value in form.initial.items() if name in form.fields}

    response = client.post(url, {**data, "adjustment_approval_threshold": "5000", "daily_cap_points": "900"})

    assert response.status_code == 302
    assert LoyaltySettings.objects.get(pk=rules.pk).adjustment_approval_threshold == 5000
    entry = AuditEntry.objects.get(object_type="loyalty.loyaltysettings")
    assert (entry.actor, entry.action, entry.area_id, entry.via) == (admin_manager, "change", area.pk, "admin")
    assert sorted(entry.fields) == ["adjustment_approval_threshold: 250 → 5000", "daily_cap_points: 500 → 900"]

    client.post(url, {**data, "adjustment_approval_threshold": "5000", "daily_cap_points": "900"})  # nothing changes
    assert AuditEntry.objects.filter(object_type="loyalty.loyaltysettings").count() == 1
