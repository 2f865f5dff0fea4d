import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from areas import services
from areas.models import OpeningHours, StaffMembership
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, UserFactory, give_totp

pytestmark = pytest.mark.django_db

T = dt.time


@pytest.fixture
def sign_in(client):
    def sign_in_as(role=None, **scope):
        user = StaffMembershipFactory(role=role, **scope).user if role else UserFactory()
        give_totp(user)
        client.force_login(user)
        return user

    return sign_in_as


def url(name, merchant, **kwargs):
    return reverse(f"areas:{name}", kwargs={"pk": merchant.pk, **kwargs})


# --- Dashboard ----------------------------------------------------------------------------------------


def test_dashboard_lists_what_the_area_manager_may_see(client, sign_in, merchant):
    other = MerchantFactory(area=merchant.area)
    elsewhere = MerchantFactory()
    sign_in(Role.AREA_MANAGER, area=merchant.area)
    response = client.get(reverse("areas:dashboard"))
    assert response.status_code == 200
    assert response.context["areas"] == [merchant.area]
    assert set(response.context["merchants"]) == {merchant, other}
    assert elsewhere.trade_name not in response.content.decode()


def test_dashboard_is_for_role_holders(client, sign_in):
    assert client.get(reverse("areas:dashboard")).status_code == 302  # anonymous: to the login page
    sign_in()
    assert client.get(reverse("areas:dashboard")).status_code == 403


def test_staff_navigation_entry_shows_for_role_holders_only(client, sign_in, merchant):
    sign_in(Role.MERCHANT_STAFF, merchant=merchant)
    labels = [str(item["label"]) for item in client.get(reverse("areas:dashboard")).context["navigation"]]
    assert "Staff" in labels or "Medewerkers" in labels
    client.logout()
    sign_in()
    labels = [str(item["label"]) for item in client.get(reverse("privacy:overview")).context["navigation"]]
    assert "Staff" not in labels and "Medewerkers" not in labels


def test_a_staff_members_own_pages_fold_under_their_name_and_a_members_do_not(client, sign_in, merchant):
    import re

    def menu(path):
        html = client.get(path).content.decode()
        nav = html[html.index('id="site-nav-list"') : html.index("</nav>")]
        folded = nav[nav.index("<details") : nav.index("</details>")] if "<details" in nav else ""
        labels = re.findall(r'<a href="[^"]+"[^>]*>([^<]+)</a>', nav)
        return labels, re.findall(r'<a href="[^"]+"[^>]*>([^<]+)</a>', folded)

    # a cashier: their work in the menu; account, privacy and logging out under their name
    cashier = sign_in(Role.MERCHANT_STAFF, merchant=merchant)
    cashier.first_name = "Pieter"
    cashier.save(update_fields=["first_name"])
    labels, folded = menu("/en/privacy/")
    assert {"Account", "My privacy"} <= set(folded) and "Staff" not in folded
    assert all(labels.count(label) == 1 for label in folded)  # not in the menu a second time
    assert "Staff" in labels and "Pieter" in client.get("/en/privacy/").content.decode()
    client.logout()

    # a shopper: everything stays in the menu itself
    sign_in()
    labels, folded = menu("/en/privacy/")
    assert folded == [] and {"Account", "My privacy"} <= set(labels)


def test_every_page_carries_the_areas_icon_itself_so_no_favicon_is_asked_for(client, area):
    import re
    from urllib.parse import unquote

    area.primary_colour, area.name = "#8a1c2b", "Keistad"
    area.save(update_fields=["primary_colour", "name"])
    html = client.get("/nl/privacy/").content.decode()
    icon = unquote(re.search(r'<link rel="icon" type="image/svg\+xml" href="data:image/svg\+xml,([^"]+)">', html)[1])
    assert icon.startswith("<svg") and 'fill="#8a1c2b"' in icon and ">K</text>" in icon


def test_dashboard_query_count_does_not_grow_with_merchants(client, sign_in, area, django_assert_max_num_queries):
    sign_in(Role.AREA_MANAGER, area=area)
    MerchantFactory.create_batch(15, area=area)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("areas:dashboard")).status_code == 200


# --- Merchant page and edit form ----------------------------------------------------------------------


def test_merchant_page_shows_hours_and_actions_by_role(client, sign_in, merchant):
    services.set_opening_hours(merchant=merchant, week={0: [(T(9), T(17, 30))]})
    sign_in(Role.MERCHANT_STAFF, merchant=merchant)
    response = client.get(url("merchant_detail", merchant))
    page = response.content.decode()
    assert "09:00–17:30" in page
    assert url("merchant_edit", merchant) not in page  # staff may not edit


def test_owner_edits_the_profile_but_not_the_registration(client, sign_in, merchant):
    sign_in(Role.MERCHANT_OWNER, merchant=merchant)
    form = client.get(url("merchant_edit", merchant)).context["form"]
    assert "website" in form.fields and "registration_number" not in form.fields

    response = client.post(
        url("merchant_edit", merchant),
        {
            "trade_name": "De Nieuwe Winkel",
            "street": merchant.street,
            "postcode": "3811cd",
            "city": merchant.city,
            "website": "winkel.example.org",
            "registration_number": "99999999",  # not on the owner's form: ignored
        },
    )
    assert response.status_code == 302
    merchant.refresh_from_db()
    assert (merchant.trade_name, merchant.postcode, merchant.website) == (
        "De Nieuwe Winkel",
        "3811 CD",
        "https://winkel.example.org",
    )
    assert merchant.registration_number != "99999999"


def test_service_errors_show_on_their_fields(client, sign_in, merchant):
    sign_in(Role.AREA_MANAGER, area=merchant.area)
    data = {
        "trade_name": merchant.trade_name,
        "legal_name": merchant.legal_name,
        "slug": merchant.slug,
        "registration_number": "0403.170.701",  # a Belgian number in a Dutch area
        "sector": merchant.sector,
        "street": merchant.street,
        "postcode": "0811 AB",
        "city": merchant.city,
    }
    response = client.post(url("merchant_edit", merchant), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"registration_number", "postcode"}
    assert "8 digits" in form.errors["registration_number"][0] or "8 cijfers" in form.errors["registration_number"][0]


def test_staff_cannot_open_the_edit_form(client, sign_in, merchant):
    sign_in(Role.MERCHANT_STAFF, merchant=merchant)
    assert client.get(url("merchant_edit", merchant)).status_code == 403
    assert client.get(url("opening_hours", merchant)).status_code == 403


# --- Opening hours ------------------------------------------------------------------------------------


def _hours_form(**values):
    data = {f"day{d}_{n}_{edge}": "" for d in range(7) for n in range(2) for edge in ("opens", "closes")}
    data.update(values)
    return data


def test_owner_sets_the_week(client, sign_in, merchant):
    sign_in(Role.MERCHANT_OWNER, merchant=merchant)
    response = client.post(
        url("opening_hours", merchant),
        _hours_form(day0_0_opens="09:00", day0_0_closes="12:30", day0_1_opens="13:30", day0_1_closes="18:00"),
    )
    assert response.status_code == 302
    assert list(OpeningHours.objects.filter(merchant=merchant).values_list("weekday", "opens_at", "closes_at")) == [
        (0, T(9), T(12, 30)),
        (0, T(13, 30), T(18)),
    ]
    initial = client.get(url("opening_hours", merchant)).context["form"].initial
    assert initial["day0_1_opens"] == T(13, 30)


def test_overlapping_hours_are_shown_on_that_day(client, sign_in, merchant):
    sign_in(Role.MERCHANT_OWNER, merchant=merchant)
    response = client.post(
        url("opening_hours", merchant),
        _hours_form(day2_0_opens="09:00", day2_0_closes="14:00", day2_1_opens="13:00", day2_1_closes="18:00"),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["day2_0_opens"]
    assert not OpeningHours.objects.exists()


def test_half_a_period_is_a_form_error(client, sign_in, merchant):
    sign_in(Role.MERCHANT_OWNER, merchant=merchant)
    response = client.post(url("opening_hours", merchant), _hours_form(day4_0_opens="09:00"))
    assert list(response.context["form"].errors) == ["day4_0_closes"]


# --- Team ---------------------------------------------------------------------------------------------


def test_owner_adds_staff_by_email(client, sign_in, merchant):
    owner = sign_in(Role.MERCHANT_OWNER, merchant=merchant)
    colleague = UserFactory(email="sanne@example.org")
    response = client.post(url("team", merchant), {"email": "Sanne@Example.org", "role": Role.MERCHANT_STAFF})
    assert response.status_code == 302
    membership = StaffMembership.objects.active().get(user=colleague)
    assert (membership.role, membership.merchant, membership.granted_by) == (Role.MERCHANT_STAFF, merchant, owner)


def test_unknown_email_is_a_field_error(client, sign_in, merchant):
    sign_in(Role.MERCHANT_OWNER, merchant=merchant)
    response = client.post(url("team", merchant), {"email": "nobody@example.org", "role": Role.MERCHANT_STAFF})
    assert list(response.context["form"].errors) == ["email"]


def test_only_the_area_manager_makes_owners(client, sign_in, merchant):
    candidate = UserFactory()
    sign_in(Role.MERCHANT_OWNER, merchant=merchant)
    response = client.post(url("team", merchant), {"email": candidate.email, "role": Role.MERCHANT_OWNER})
    assert list(response.context["form"].errors) == ["role"]
    client.logout()
    sign_in(Role.AREA_MANAGER, area=merchant.area)
    assert (
        client.post(url("team", merchant), {"email": candidate.email, "role": Role.MERCHANT_OWNER}).status_code == 302
    )
    assert StaffMembership.objects.active().filter(user=candidate, role=Role.MERCHANT_OWNER).exists()


def test_owner_ends_a_staff_membership_but_not_an_owners(client, sign_in, merchant):
    owner = sign_in(Role.MERCHANT_OWNER, merchant=merchant)
    staff = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant)
    co_owner = StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant)
    own = StaffMembership.objects.get(user=owner)

    assert client.post(url("team_end", merchant, membership_pk=staff.pk)).status_code == 302
    staff.refresh_from_db()
    assert staff.ended_at is not None and staff.ended_by == owner
    assert client.post(url("team_end", merchant, membership_pk=co_owner.pk)).status_code == 403
    assert client.post(url("team_end", merchant, membership_pk=own.pk)).status_code == 403
    assert client.get(url("team_end", merchant, membership_pk=co_owner.pk)).status_code == 405


def test_a_membership_of_another_merchant_cannot_be_ended_through_this_one(client, sign_in, merchant):
    sign_in(Role.AREA_MANAGER, area=merchant.area)
    elsewhere = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=MerchantFactory(area=merchant.area))
    assert client.post(url("team_end", merchant, membership_pk=elsewhere.pk)).status_code == 404


@pytest.mark.parametrize("language", ["nl", "en"])
def test_staff_pages_render_in_both_languages(client, sign_in, merchant, language):
    sign_in(Role.AREA_MANAGER, area=merchant.area)
    for name in ("merchant_detail", "merchant_edit", "opening_hours", "team"):
        response = client.get(f"/{language}{url(name, merchant)[3:]}")
        assert response.status_code == 200, name
        assert f'lang="{language}"' in response.content.decode()
