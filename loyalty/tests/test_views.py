"""The member app (/<lang>/mijn/) and the till (/<lang>/kassa/): pages over the real services."""

from __future__ import annotations

import io
import re
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as dt_time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from PIL import Image

from accounts.roles import Role
from agora.money import format_euros
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, UserFactory
from loyalty import services, totp
from loyalty.codes import ScanKind, group_voucher_code, new_card_number, new_gift_card_number, new_voucher_code
from loyalty.exceptions import GiftCardWrongPin, InvalidPassCode, PassNotFound
from loyalty.forms import TillForm, parse_euros
from loyalty.models import GiftCard, Pass, TillTransaction
from privacy import services as privacy_services
from privacy.models import PurposeVersion
from privacy.tests.factories import with_totp

from .factories import recognisable, rules_for
from .giftcard_factories import PIN, sell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _profile_consent() -> dict:
    """The statistics consent ticked with the profile fields: without it they are not kept."""
    version = PurposeVersion.objects.filter(purpose__code="analytics").order_by("-version").first().version
    return {"consent_analytics": "on", "consent_analytics_version": version}


@pytest.fixture
def member(area):
    return recognisable(UserFactory(first_name="Sanne"), area)


@pytest.fixture
def member_pass(member, area):
    return services.join_pass(user=member, area=area)


@pytest.fixture
def cashier(merchant):
    return with_totp(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user)


@pytest.fixture
def till_client(client, cashier):
    client.force_login(cashier)
    return client


def current_code(member_pass: Pass) -> str:
    """What the member's app shows now, as the till's scanner reads it."""
    return f"AGORA1:{member_pass.card_number}:{totp.code_at(member_pass.totp_secret, time.time())}"


def purchase(merchant, **fields) -> dict:
    return {"code": "", "amount": "", "receipt_number": "", "request_key": str(uuid.uuid4()), "device_id": "", **fields}


# --- Joining -----------------------------------------------------------------------------------------------------


def test_visitors_see_the_terms_and_are_sent_to_sign_up_or_log_in(client, area):
    response = client.get(reverse("loyalty:join"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Running your city pass" in page  # the contract's text, as published by privacy
    assert f"{reverse('account_signup')}?next={reverse('loyalty:join')}" in page.replace("%2F", "/")
    assert 'name="postcode"' not in page
    # on a phone the way in comes first, the terms (accepted only when joining) below it
    assert page.index(reverse("account_signup")) < page.index("Running your city pass")
    assert 'href="#terms-title"' in page


def test_a_logged_in_visitor_reads_the_terms_before_the_button_that_accepts_them(client, area, member):
    client.force_login(member)
    page = client.get(reverse("loyalty:join")).content.decode()
    assert page.index("Running your city pass") < page.index("By joining you accept the terms above.")


def test_the_join_form_shows_each_profile_field_with_its_purpose_and_nothing_chosen(client, area, member):
    client.force_login(member)
    response = client.get(reverse("loyalty:join"))
    page = response.content.decode()
    assert "Statistics about visitors to the town centre" in page  # the purpose the fields serve
    assert "customer origin" in page and "which age groups" in page
    assert 'name="postcode"' in page and 'value=""' in page
    assert "selected" not in page.split('name="age_band"')[1].split("</select>")[0]
    assert reverse("privacy:consents") in page  # consents stay on the privacy page


def test_joining_creates_the_pass_through_the_service_with_the_profile_given(client, area, member):
    client.force_login(member)
    response = client.post(reverse("loyalty:join"), {"postcode": "3811 AB", "age_band": "35-44", **_profile_consent()})
    assert response.status_code == 302
    assert response["Location"] == reverse("loyalty:pass")
    member_pass = Pass.objects.get(member=member, area=area)
    assert member_pass.postcode == "3811"  # only the 4 digits are kept
    assert member_pass.age_band == "35-44"
    assert len(member_pass.card_number) == 12


def test_profile_fields_are_optional_and_not_stored_when_left_empty(client, area, member):
    client.force_login(member)
    client.post(reverse("loyalty:join"), {"postcode": "", "age_band": ""})
    member_pass = Pass.objects.get(member=member, area=area)
    assert (member_pass.postcode, member_pass.age_band) == ("", "")


def test_a_wrong_postcode_is_refused_and_kept_for_correction(client, area, member):
    client.force_login(member)
    response = client.post(reverse("loyalty:join"), {"postcode": "38", "age_band": "<25"})
    assert response.status_code == 200
    assert "Enter the four digits of your postcode" in response.content.decode()
    assert 'value="38"' in response.content.decode()
    assert not Pass.objects.filter(member=member).exists()


def test_joining_twice_keeps_one_pass(client, area, member):
    client.force_login(member)
    client.post(reverse("loyalty:join"), {"postcode": "3811", **_profile_consent()})
    response = client.post(reverse("loyalty:join"), {"postcode": "1234", **_profile_consent()})
    assert response.status_code == 302 and response["Location"] == reverse("loyalty:pass")
    assert Pass.objects.filter(member=member, area=area).count() == 1
    assert Pass.objects.get(member=member).postcode == "3811"
    assert client.get(reverse("loyalty:join"))["Location"] == reverse("loyalty:pass")


# --- The profile after joining ------------------------------------------------------------------------------------


def test_the_member_changes_the_profile_fields_with_their_purpose_shown(client, area, member, member_pass):
    client.force_login(member)
    assert reverse("loyalty:profile") in client.get(reverse("loyalty:pass")).content.decode()
    page = client.get(reverse("loyalty:profile")).content.decode()
    assert "Statistics about visitors to the town centre" in page and "customer origin" in page
    assert "You have not allowed that" in page

    response = client.post(reverse("loyalty:profile"), {"postcode": "2800 ", "age_band": "45-54", **_profile_consent()})
    assert response.status_code == 302 and response["Location"] == reverse("loyalty:profile")
    member_pass.refresh_from_db()
    assert (member_pass.postcode, member_pass.age_band) == ("2800", "45-54")
    page = client.get(reverse("loyalty:profile")).content.decode()
    assert "Your details are saved." in page and 'value="2800"' in page
    assert '<option value="45-54" selected>' in page


def test_leaving_the_profile_fields_empty_removes_them_from_the_pass(client, area, member, member_pass):
    Pass.objects.filter(pk=member_pass.pk).update(postcode="3811", age_band="25-34")
    client.force_login(member)
    response = client.post(reverse("loyalty:profile"), {"postcode": "", "age_band": ""}, follow=True)
    assert "removed from your pass" in response.content.decode()
    member_pass.refresh_from_db()
    assert (member_pass.postcode, member_pass.age_band) == ("", "")


def test_a_wrong_profile_is_refused_per_field_and_nothing_is_changed(client, area, member, member_pass):
    Pass.objects.filter(pk=member_pass.pk).update(postcode="3811", age_band="25-34")
    client.force_login(member)
    response = client.post(reverse("loyalty:profile"), {"postcode": "38", "age_band": "35-44"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter the four digits of your postcode" in page and 'value="38"' in page
    response = client.post(reverse("loyalty:profile"), {"postcode": "3812", "age_band": "12-14"})
    assert "Select a valid choice" in response.content.decode()
    member_pass.refresh_from_db()
    assert (member_pass.postcode, member_pass.age_band) == ("3811", "25-34")


def test_the_profile_page_says_when_the_member_allows_its_use(client, area, member, member_pass):
    privacy_services.give_consent(subject=member, area=area, purpose_code="analytics", method="settings", language="en")
    client.force_login(member)
    page = client.get(reverse("loyalty:profile")).content.decode()
    assert "You allow them to be used for this purpose" in page


def test_someone_without_a_pass_is_sent_to_join_instead_of_the_profile(client, area, member):
    client.force_login(member)
    response = client.post(reverse("loyalty:profile"), {"postcode": "3811"})
    assert response.status_code == 302 and response["Location"] == reverse("loyalty:join")
    assert not Pass.objects.filter(member=member).exists()


# --- The pass ------------------------------------------------------------------------------------------------------


def test_the_pass_page_of_someone_without_a_pass_sends_them_to_join(client, area, member):
    client.force_login(member)
    response = client.get(reverse("loyalty:pass"))
    assert response.status_code == 302 and response["Location"] == reverse("loyalty:join")
    assert client.get(reverse("loyalty:history"))["Location"] == reverse("loyalty:join")


def test_the_pass_page_needs_a_login(client, area):
    response = client.get(reverse("loyalty:pass"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_pass_page_shows_name_pass_balance_and_card_number_but_never_the_secret(client, member_pass):
    client.force_login(member_pass.member)
    response = client.get(reverse("loyalty:pass"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sanne" in page and member_pass.area.pass_name in page
    assert member_pass.card_number_display in page
    assert f'data-card-number="{member_pass.card_number}"' in page
    assert member_pass.totp_secret not in page
    assert reverse("loyalty:manifest") in page and "loyalty/pass.js" in page and "vendor/qrcode-generator" in page
    assert "private" in response["Cache-Control"]


def test_the_pass_key_is_handed_to_the_members_app_by_post_only_and_never_cached(client, member_pass, person):
    url = reverse("loyalty:pass_key")
    assert client.post(url).status_code == 403  # not logged in
    client.force_login(member_pass.member)
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200
    assert response.json() == {
        "card_number": member_pass.card_number,
        "secret": member_pass.totp_secret,
        "algorithm": "SHA-1",
        "digits": 6,
        "period": 30,
    }
    assert "no-store" in response["Cache-Control"]
    client.force_login(person)  # someone without a pass
    assert client.post(url).status_code == 404


def test_the_pass_key_needs_the_csrf_token(member_pass):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member_pass.member)
    assert strict.post(reverse("loyalty:pass_key")).status_code == 403


def test_the_service_worker_and_manifest_cover_the_member_app(client, area):
    scope = reverse("loyalty:pass")
    worker = client.get(reverse("loyalty:service_worker"))
    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker.request["PATH_INFO"].startswith(scope)  # served inside its own scope
    body = worker.content.decode()
    assert f'"{scope}"' in body and "loyalty/pass.js" in body and "&quot;" not in body
    manifest = client.get(reverse("loyalty:manifest")).json()
    assert manifest["scope"] == scope and manifest["start_url"] == scope
    assert manifest["name"] == area.pass_name and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200 and response["Content-Type"] == icon["type"]
        if icon["type"] == "image/png":  # the size it claims, and a square without transparency when maskable
            image = Image.open(io.BytesIO(response.content))
            assert f"{image.width}x{image.height}" == icon["sizes"]
            assert image.mode == "RGB" if icon.get("purpose") == "maskable" else image.mode == "RGBA"
    assert {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"} == {"192x192", "512x512"}
    assert client.get(reverse("loyalty:icon_png", args=[100])).status_code == 404


def test_the_pass_screen_gives_an_iphone_a_png_icon(client, member_pass):
    client.force_login(member_pass.member)
    page = client.get(reverse("loyalty:pass")).content.decode()

    href = re.search(r'<link rel="apple-touch-icon" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    response = client.get(href)
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (180, 180)


def test_history_shows_each_merchant_and_kind_in_a_constant_number_of_queries(client, area, member_pass, cashier):
    client.force_login(member_pass.member)

    def award_at_new_merchant():
        shop = MerchantFactory(area=area)
        StaffMembershipFactory(user=cashier, role=Role.MERCHANT_STAFF, merchant=shop)
        cashier.__dict__.pop("_agora_memberships", None)
        services.award_for_purchase(
            merchant=shop, code=member_pass.card_number, amount_cents=2000, request_key=uuid.uuid4(), by=cashier
        )
        return shop

    first = award_at_new_merchant()
    client.get(reverse("loyalty:history"))  # the day's first request also records activity: not measured
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("loyalty:history"))
    assert first.trade_name in response.content.decode()
    shops = [award_at_new_merchant() for _ in range(4)]
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("loyalty:history"))
    page = response.content.decode()
    assert all(shop.trade_name in page for shop in shops)
    assert "Purchase" in page  # the kind of each entry
    assert len(many) == len(few), "\n".join(q["sql"] for q in many)


def test_history_signs_each_change_with_a_plus_or_a_true_minus(client, merchant, member_pass, cashier):
    client.force_login(member_pass.member)
    award = services.award_for_purchase(
        merchant=merchant, code=member_pass.card_number, amount_cents=2000, request_key=uuid.uuid4(), by=cashier
    )
    services.undo_till_transaction(
        merchant=merchant, transaction_id=award.transaction_id, request_key=uuid.uuid4(), by=cashier
    )

    points = re.findall(r'class="history__points">([^<]*)<', client.get(reverse("loyalty:history")).content.decode())

    assert sorted(points) == sorted([f"+{award.points_awarded}", f"\u2212{award.points_awarded}"])


def test_the_history_pages_back_and_narrows_to_one_shop(client, area, merchant, member_pass, cashier):
    # given: sixty purchases at one shop and one at another (a page holds fifty)
    rules_for(area, max_scans_per_member_per_hour=0, max_scans_per_member_per_merchant_per_day=0)
    client.force_login(member_pass.member)
    bakery = MerchantFactory(area=area, trade_name="Bakker Bouwman")
    StaffMembershipFactory(user=cashier, role=Role.MERCHANT_STAFF, merchant=bakery)
    cashier.__dict__.pop("_agora_memberships", None)
    for shop in [merchant] * 60 + [bakery]:
        services.award_for_purchase(
            merchant=shop, code=member_pass.card_number, amount_cents=100, request_key=uuid.uuid4(), by=cashier
        )

    # when: the member opens their history, then the older entries
    first = client.get(reverse("loyalty:history"))
    older_url = first.context["older_url"]
    second = client.get(reverse("loyalty:history") + older_url)

    # then: fifty, then the rest (with the welcome bonus, if any), nothing twice
    first_ids = [entry["id"] for entry in first.context["history"]]
    second_ids = [entry["id"] for entry in second.context["history"]]
    assert len(first_ids) == 50 and not set(first_ids) & set(second_ids)
    assert len(first_ids) + len(second_ids) == member_pass.entries.count()
    assert second.context["older_url"] is None and "Latest entries" in second.content.decode()

    # and narrowed to the bakery, only its purchase; its name is among the choices
    bakery_page = client.get(reverse("loyalty:history"), {"shop": bakery.pk})
    assert [entry["merchant"] for entry in bakery_page.context["history"]] == ["Bakker Bouwman"]
    assert f'<option value="{bakery.pk}" selected>Bakker Bouwman</option>' in bakery_page.content.decode()


def test_a_shop_not_in_the_history_shows_everything_and_says_so(client, area, merchant, member_pass, cashier):
    client.force_login(member_pass.member)
    for _ in range(2):
        services.award_for_purchase(
            merchant=merchant, code=member_pass.card_number, amount_cents=500, request_key=uuid.uuid4(), by=cashier
        )
    elsewhere = MerchantFactory(area=area)  # a real shop, but the member never bought there

    for query in ({"shop": elsewhere.pk}, {"shop": "bakery"}, {"before": "-3"}):
        response = client.get(reverse("loyalty:history"), query)
        assert response.status_code == 200
        assert len(response.context["history"]) == member_pass.entries.count()
        page = response.content.decode()
        assert "That shop is not in your history" in page or "That page of your history does not exist" in page


# --- The till: who may use it --------------------------------------------------------------------------------------


def test_the_till_of_merchant_a_is_not_found_for_merchant_b_staff_and_for_members(client, area, merchant, member):
    other_shop = MerchantFactory(area=area)
    staff_b = with_totp(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=other_shop).user)
    url = reverse("loyalty:till", args=[merchant.pk])
    for person in (staff_b, member):
        client.force_login(person)
        assert client.get(url).status_code == 404
        assert client.post(url, purchase(merchant, code="123456789012", amount="10")).status_code == 404
        assert client.post(reverse("loyalty:till_undo", args=[merchant.pk]), {}).status_code == 404
        assert client.get(reverse("loyalty:till_day", args=[merchant.pk])).status_code == 404
    assert not TillTransaction.objects.exists()


def test_members_have_no_till(client, member):
    client.force_login(member)
    assert client.get(reverse("loyalty:till_start")).status_code == 403


def test_the_till_needs_a_login(client, merchant):
    response = client.get(reverse("loyalty:till", args=[merchant.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_an_area_manager_may_see_the_shop_but_not_work_its_till(client, area, merchant):
    manager = with_totp(StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user)
    client.force_login(manager)
    assert client.get(reverse("loyalty:till", args=[merchant.pk])).status_code == 403


def test_staff_of_one_shop_go_straight_to_its_till_and_others_choose(client, area, merchant, cashier):
    client.force_login(cashier)
    response = client.get(reverse("loyalty:till_start"))
    assert response["Location"] == reverse("loyalty:till", args=[merchant.pk])
    second = MerchantFactory(area=area, trade_name="Boekhandel Veenendaal")
    StaffMembershipFactory(user=cashier, role=Role.MERCHANT_OWNER, merchant=second)
    response = client.get(reverse("loyalty:till_start"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("loyalty:till", args=[merchant.pk]) in page and "Boekhandel Veenendaal" in page


# --- The till: awarding -----------------------------------------------------------------------------------------------


def test_the_till_form_is_ready_for_a_scanner(till_client, merchant):
    page = till_client.get(reverse("loyalty:till", args=[merchant.pk])).content.decode()
    code_input = page.split('name="code"')[1].split(">")[0]
    assert "autofocus" in code_input
    assert 'name="request_key"' in page and 'name="device_id"' in page
    assert 'inputmode="decimal"' in page


def test_a_purchase_awards_points_and_shows_name_points_and_balance(till_client, merchant, member_pass):
    response = till_client.post(
        reverse("loyalty:till", args=[merchant.pk]), purchase(merchant, code=current_code(member_pass), amount="12,50")
    )
    assert response.status_code == 200
    transaction = TillTransaction.objects.get()
    member_pass.refresh_from_db()
    assert transaction.amount_cents == 1250 and transaction.points > 0
    result = response.context["result"]
    assert (result.member_first_name, result.points_awarded, result.balance) == (
        "Sanne",
        transaction.points,
        member_pass.points_balance,
    )
    page = response.content.decode()
    assert "Sanne" in page and f"+{transaction.points} point" in page and "€12.50" in page
    # a fresh form for the next customer, with a new key; today's summary counts the purchase
    assert response.context["form"]["request_key"].value() != transaction.request_key
    assert response.context["summary"]["count"] == 1
    assert response.context["recent"][0]["transaction"].member_first_name == "Sanne"


def test_the_till_says_when_the_daily_maximum_cut_the_points(till_client, area, merchant, member_pass):
    rules_for(area, daily_cap_points=100)
    url = reverse("loyalty:till", args=[merchant.pk])
    page = till_client.post(url, purchase(merchant, code=member_pass.card_number, amount="80")).content.decode()
    assert "+80 points" in page and "Daily maximum" not in page
    page = till_client.post(url, purchase(merchant, code=member_pass.card_number, amount="50")).content.decode()
    assert "+20 points" in page and "Daily maximum reached: 100 points today." in page


def test_the_tills_last_transactions_show_a_date_when_not_from_today(till_client, area, merchant, member_pass, cashier):
    # given: a purchase two days ago and one now
    two_days_ago = timezone.now() - timedelta(days=2)
    for at in (two_days_ago, timezone.now()):
        services.award_for_purchase(
            merchant=merchant,
            code=member_pass.card_number,
            amount_cents=900,
            request_key=uuid.uuid4(),
            by=cashier,
            now=at,
        )

    local = timezone.localtime(two_days_ago, area.tz)
    for language, day_format in (("nl", "j b"), ("en", "j M")):  # "30 nov", "30 Nov"
        with translation.override(language):
            page = till_client.get(reverse("loyalty:till", args=[merchant.pk])).content.decode()
            day = dateformat.format(local, day_format)

        # then: today's shows its time only; the older one its day as well, so nobody takes it for today's
        assert f'<span class="till-recent__day">{day}</span> {local:%H:%M}</td>' in page
    now = timezone.localtime(timezone.now(), area.tz)
    assert f"<td>{now:%H:%M}</td>" in page or f"<td>{(now - timedelta(minutes=1)):%H:%M}</td>" in page


def test_a_day_at_the_till_shows_that_days_figures_and_every_transaction(
    till_client, area, merchant, member_pass, cashier
):
    # given: two purchases yesterday (one of them undone) and one today; another shop's purchase yesterday
    rules_for(area, max_scans_per_member_per_merchant_per_day=0)
    today = timezone.localdate(timezone=area.tz)
    yesterday_noon = timezone.make_aware(datetime.combine(today - timedelta(days=1), dt_time(12)), area.tz)
    first = services.award_for_purchase(
        merchant=merchant,
        code=member_pass.card_number,
        amount_cents=1000,
        receipt_number="B-17",
        request_key=uuid.uuid4(),
        by=cashier,
        now=yesterday_noon,
    )
    services.award_for_purchase(
        merchant=merchant,
        code=member_pass.card_number,
        amount_cents=2550,
        request_key=uuid.uuid4(),
        by=cashier,
        now=yesterday_noon + timedelta(hours=1),
    )
    services.undo_till_transaction(
        merchant=merchant,
        transaction_id=first.transaction_id,
        request_key=uuid.uuid4(),
        by=cashier,
        now=yesterday_noon + timedelta(minutes=1),
    )
    services.award_for_purchase(
        merchant=merchant, code=member_pass.card_number, amount_cents=700, request_key=uuid.uuid4(), by=cashier
    )
    other = MerchantFactory(area=area)
    StaffMembershipFactory(user=cashier, role=Role.MERCHANT_STAFF, merchant=other)
    cashier.__dict__.pop("_agora_memberships", None)
    services.award_for_purchase(
        merchant=other,
        code=member_pass.card_number,
        amount_cents=9900,
        request_key=uuid.uuid4(),
        by=cashier,
        now=yesterday_noon,
    )
    url = reverse("loyalty:till_day", args=[merchant.pk])

    # when: the day page opens (today), then yesterday
    today_page = till_client.get(url)
    response = till_client.get(url, {"day": (today - timedelta(days=1)).isoformat()})

    # then: today has the one purchase and no later day to go to
    assert today_page.context["summary"]["count"] == 1 and today_page.context["next_day"] is None
    assert f'value="{today.isoformat()}"' in today_page.content.decode()  # the date field shows the day shown
    # yesterday: one purchase left after the undo, €25.50, every row of this shop only, the receipt number shown
    summary = response.context["summary"]
    assert (summary["count"], summary["amount_cents"], summary["undone"]) == (1, 2550, 1)
    kinds = sorted(row["transaction"].kind for row in response.context["rows"])
    assert kinds == ["purchase", "purchase", "undo"]
    page = response.content.decode()
    assert "B-17" in page and "€99.00" not in page
    # the undo row and the purchase it undid are told apart
    assert page.count('<span class="badge">Undo</span>') == 1 and page.count('<span class="badge">Undone</span>') == 1
    assert response.context["next_day"] == today

    # and a mangled day, or one still to come, says so and shows today
    bad = till_client.get(url, {"day": "gisteren"})
    assert bad.status_code == 400 and bad.context["day"] == today and "That is not a date." in bad.content.decode()
    tomorrow = till_client.get(url, {"day": (today + timedelta(days=1)).isoformat()})
    assert tomorrow.status_code == 400 and tomorrow.context["day"] == today
    assert "That day has not come yet." in tomorrow.content.decode()


def test_a_refund_from_the_day_page_takes_back_points_pro_rata_and_returns_to_that_day(
    till_client, area, merchant, member_pass, cashier
):
    # given: a purchase of €40.00 three days ago (outside the undo window), with its refund form on its day's page
    at = timezone.now() - timedelta(days=3)
    day = timezone.localdate(at, timezone=area.tz)
    purchase = services.award_for_purchase(
        merchant=merchant, code=member_pass.card_number, amount_cents=4000, request_key=uuid.uuid4(), by=cashier, now=at
    )
    day_url = reverse("loyalty:till_day", args=[merchant.pk]) + f"?day={day.isoformat()}"
    page = till_client.get(day_url)
    [row] = page.context["rows"]
    assert row["refundable"] == "40.00" and reverse("loyalty:till_refund", args=[merchant.pk]) in page.content.decode()
    refund_url = reverse("loyalty:till_refund", args=[merchant.pk])

    def refund(amount, key=None):
        data = {"transaction_id": purchase.transaction_id, "amount": amount, "day": day.isoformat()}
        return till_client.post(refund_url, {**data, "request_key": str(key or uuid.uuid4())}, follow=True)

    # when: €10 comes back, and the same form is sent twice
    key = uuid.uuid4()
    response = refund("10,00", key)
    refund("10,00", key)

    # then: a quarter of the points, once; back on the purchase's day, which offers what is left
    member_pass.refresh_from_db()
    assert member_pass.points_balance == purchase.balance - purchase.points_awarded // 4
    assert response.redirect_chain[-1][0] == day_url
    assert f"Refund of €10.00: {purchase.points_awarded // 4} points taken back" in response.content.decode()
    assert [row["refundable"] for row in response.context["rows"] if row["transaction"].kind == "purchase"] == ["30.00"]

    # and more than is left, or not an amount, says why and writes nothing
    assert "The refund is larger than what is left of the purchase." in refund("30,01").content.decode()
    assert "Enter the amount in euros" in refund("tien euro").content.decode()
    assert TillTransaction.objects.filter(kind="refund").count() == 1


def test_another_shops_purchase_cannot_be_refunded(till_client, area, merchant, member_pass, cashier):
    other = MerchantFactory(area=area)
    theirs = services.award_for_purchase(
        merchant=other,
        code=member_pass.card_number,
        amount_cents=2000,
        request_key=uuid.uuid4(),
        by=with_totp(StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=other).user),
    )
    response = till_client.post(
        reverse("loyalty:till_refund", args=[merchant.pk]),
        {"transaction_id": theirs.transaction_id, "amount": "20", "request_key": str(uuid.uuid4())},
        follow=True,
    )
    assert response.status_code == 200
    assert not TillTransaction.objects.filter(kind="refund").exists()
    assert till_client.post(reverse("loyalty:till_refund", args=[other.pk]), {}).status_code == 404


def test_a_retry_with_the_same_key_shows_the_first_result_and_awards_once(till_client, merchant, member_pass):
    url = reverse("loyalty:till", args=[merchant.pk])
    data = purchase(merchant, code=current_code(member_pass), amount="20")
    first = till_client.post(url, data)
    second = till_client.post(url, data)  # a double tap, or the browser sending the form again
    assert TillTransaction.objects.count() == 1
    assert second.status_code == 200 and second.context["result"].is_replay
    assert second.context["result"].balance == first.context["result"].balance
    assert second.context["result"].transaction_id == first.context["result"].transaction_id
    assert "already been recorded" in second.content.decode()


def test_a_bad_amount_shows_an_error_and_keeps_what_was_typed(till_client, merchant, member_pass):
    code = current_code(member_pass)
    url = reverse("loyalty:till", args=[merchant.pk])
    for amount in ("12,345", "abc", "0", ""):
        response = till_client.post(url, purchase(merchant, code=code, amount=amount, receipt_number="R-77"))
        assert response.status_code == 200
        form = response.context["form"]
        assert form.errors["amount"]
        page = response.content.decode()
        assert f'value="{code}"' in page and 'value="R-77"' in page
        assert response.context["focus"] == "amount"
    assert not TillTransaction.objects.exists()


def test_amounts_in_euros_with_comma_or_dot():
    assert parse_euros("12,50") == parse_euros("12.50") == parse_euros("€ 12,5") == 1250
    assert parse_euros("7") == 700
    with pytest.raises(ValueError):
        parse_euros("1.234,56")
    with translation.override("nl"):
        assert format_euros(1250) == "€\u00a012,50"
        assert format_euros(123456) == "€\u00a01.234,56"
    assert format_euros(1250) == "€12.50"


def test_service_errors_are_shown_on_the_code_field_in_the_users_language(till_client, merchant, member_pass):
    url = reverse("loyalty:till", args=[merchant.pk])
    response = till_client.post(url, purchase(merchant, code="123", amount="10"))
    assert response.context["form"].errors["code"]
    assert response.context["focus"] == "code"
    assert 'value="10"' in response.content.decode()
    # a well-formed number that is no pass here: the service says so, on the same field
    response = till_client.post(url, purchase(merchant, code=new_card_number(), amount="10"))
    assert response.context["form"].errors["code"] == [str(PassNotFound.default_message)]
    with translation.override("nl"):
        url = reverse("loyalty:till", args=[merchant.pk])
        response = till_client.post(url, purchase(merchant, code=new_card_number(), amount="10"))
        assert str(PassNotFound.default_message) in response.content.decode()
        assert response["Content-Language"] == "nl"


def test_a_voucher_code_in_the_pass_code_field_says_what_it_is_and_where_it_goes(till_client, merchant, member_pass):
    url = reverse("loyalty:till", args=[merchant.pk])
    voucher = group_voucher_code(new_voucher_code())
    response = till_client.post(url, purchase(merchant, code=voucher, amount="10"))
    errors = response.context["form"].errors["code"]
    assert errors == [str(TillForm.MISPLACED["code"][ScanKind.VOUCHER])]
    assert "voucher code" in errors[0] and "Voucher code" in errors[0]
    # a gift card's own number: where its payment is taken
    response = till_client.post(url, purchase(merchant, code=new_gift_card_number(), amount="10"))
    assert "gift card number" in response.context["form"].errors["code"][0]
    # a mistyped pass code is still just that
    response = till_client.post(url, purchase(merchant, code="1234 5678 9016", amount="10"))
    assert response.context["form"].errors["code"] == [str(InvalidPassCode.default_message)]
    assert not TillTransaction.objects.exists()


def test_a_pass_code_in_the_voucher_field_says_it_goes_in_the_pass_code(till_client, merchant, member_pass):
    url = reverse("loyalty:till", args=[merchant.pk])
    response = till_client.post(
        url, purchase(merchant, code=member_pass.card_number, amount="10", voucher_code=current_code(member_pass))
    )
    form = response.context["form"]
    assert form.errors["voucher_code"] == [str(TillForm.MISPLACED["voucher_code"][ScanKind.PASS])]
    assert form.pays_otherwise  # the folded section is open again, with the error in it
    assert not TillTransaction.objects.exists()


def test_the_till_takes_a_gift_card_by_its_number_and_pin_with_the_purchase(till_client, area, merchant, member_pass):
    card = sell(area, 2500, at=timezone.now() - timedelta(hours=1))
    url = reverse("loyalty:till", args=[merchant.pk])
    fields = {"code": member_pass.card_number, "amount": "40", "giftcard": "15", "giftcard_number": card.number}
    # without the card's PIN: asked for, nothing tried (no wrong PIN counted)
    response = till_client.post(url, purchase(merchant, **fields))
    form = response.context["form"]
    assert form.errors["giftcard_pin"] and form.pays_otherwise
    assert GiftCard.objects.get(pk=card.pk).failed_pin_attempts == 0
    # a scan that landed in the PIN field is no PIN: refused on the field, nothing tried either
    response = till_client.post(url, purchase(merchant, **fields, giftcard_pin=card.number))
    assert response.context["form"].errors["giftcard_pin"] == ["A PIN has 4 to 6 digits."]
    assert GiftCard.objects.get(pk=card.pk).failed_pin_attempts == 0
    response = till_client.post(url, purchase(merchant, **fields, giftcard_pin="0000"))
    assert response.context["form"].errors["giftcard_pin"] == [str(GiftCardWrongPin.default_message)]
    # with it: paid together, the rest earns
    response = till_client.post(url, purchase(merchant, **fields, giftcard_pin=PIN))
    result = response.context["result"]
    assert (result.giftcard_cents, result.points_awarded) == (1500, 25)
    assert response.context["summary"]["giftcard_cents"] == 1500
    page = response.content.decode()
    assert "Gift card" in page and "€15.00" in page


def test_a_code_used_once_is_refused_the_second_time(till_client, merchant, member_pass):
    url = reverse("loyalty:till", args=[merchant.pk])
    code = current_code(member_pass)
    till_client.post(url, purchase(merchant, code=code, amount="10"))
    response = till_client.post(url, purchase(merchant, code=code, amount="10"))  # a new key: a new request
    assert response.context["result"] is None
    assert response.context["form"].errors["code"]
    assert TillTransaction.objects.count() == 1


# --- The till: undo -------------------------------------------------------------------------------------------------


def test_undo_takes_the_points_back_once(till_client, merchant, member_pass):
    url = reverse("loyalty:till", args=[merchant.pk])
    response = till_client.post(url, purchase(merchant, code=member_pass.card_number, amount="30"))
    result = response.context["result"]
    assert result.balance > 0
    page = response.content.decode()
    assert reverse("loyalty:till_undo", args=[merchant.pk]) in page and f'value="{result.transaction_id}"' in page

    undo = {"transaction_id": result.transaction_id, "request_key": str(uuid.uuid4())}
    response = till_client.post(reverse("loyalty:till_undo", args=[merchant.pk]), undo, follow=True)
    member_pass.refresh_from_db()
    assert member_pass.points_balance == 0
    assert "Undone" in response.content.decode()

    again = {"transaction_id": result.transaction_id, "request_key": str(uuid.uuid4())}
    response = till_client.post(reverse("loyalty:till_undo", args=[merchant.pk]), again, follow=True)
    assert "already been undone" in response.content.decode()
    assert TillTransaction.objects.filter(kind="undo").count() == 1


def test_the_last_transaction_can_be_undone_from_the_list(till_client, merchant, member_pass):
    till_client.post(
        reverse("loyalty:till", args=[merchant.pk]), purchase(merchant, code=member_pass.card_number, amount="30")
    )
    response = till_client.get(reverse("loyalty:till", args=[merchant.pk]))
    assert response.context["recent"][0]["transaction"].can_undo
    assert reverse("loyalty:till_undo", args=[merchant.pk]) in response.content.decode()


# --- Navigation ---------------------------------------------------------------------------------------------------


def test_navigation_shows_my_pass_to_signed_in_people_and_the_till_to_till_operators(rf, area, member, cashier):
    from django.contrib.auth.models import AnonymousUser

    from loyalty.views import pass_entry_is_visible, till_entry_is_visible

    def request_of(user):
        request = rf.get("/en/")
        request.user, request.area = user, area
        return request

    manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=area).user
    assert [pass_entry_is_visible(request_of(u)) for u in (member, cashier, AnonymousUser())] == [True, True, False]
    assert [till_entry_is_visible(request_of(u)) for u in (member, cashier, manager, AnonymousUser())] == [
        False,
        True,
        False,
        False,
    ]


def test_the_member_prints_the_card_and_sets_its_pin(client, member, member_pass):
    client.force_login(member)

    page = client.get(reverse("loyalty:card"))
    assert page.status_code == 200 and b"<svg" in page.content
    assert member_pass.card_number_display.encode() in page.content

    refused = client.post(reverse("loyalty:card"), {"pin": "12", "pin_again": "12"})
    assert refused.status_code == 200 and refused.context["form"].errors
    different = client.post(reverse("loyalty:card"), {"pin": "4711", "pin_again": "4712"})
    assert "pin_again" in different.context["form"].errors

    assert client.post(reverse("loyalty:card"), {"pin": "4711", "pin_again": "4711"}).status_code == 302
    member_pass.refresh_from_db()
    assert member_pass.has_pin


def test_the_pass_screen_shows_the_gift_card_balance(client, area, member, member_pass):
    from loyalty.tests.factories import manager_for

    services.sell_gift_card(
        area=area, amount_cents=2500, by=manager_for(area), request_key=uuid.uuid4(), member_pass=member_pass
    )
    client.force_login(member)
    page = client.get(reverse("loyalty:pass")).content.decode()
    assert "25.00" in page or "25,00" in page
