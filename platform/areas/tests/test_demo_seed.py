"""The demo town generator: deterministic, valid, complete in its roles, realistic in its catchment."""

import hashlib
import io
import random
from collections import Counter
from datetime import date

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.roles import AREA_ROLES, MERCHANT_ROLES, Role
from areas import geo, validators
from areas.demo import (
    DEMO_AREA_SLUGS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    TOWNS,
    DemoSeedError,
    demo_step,
    demo_users,
    identifiers,
    registered_steps,
    registry,
    seed_demo,
)
from areas.demo.dates import easter_sunday, public_holidays, shopping_sundays
from areas.geo import DistanceBand
from areas.models import Merchant, MerchantStatus, OpeningException, OpeningHours, ShoppingArea, StaffMembership
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, UserFactory
from privacy.default_purposes import ensure_default_purposes
from privacy.models import ConsentEvent, CurrentConsent, Purpose

TODAY = date(2026, 11, 22)
CONSENT_PURPOSES = ("analytics", "marketing", "share_with_merchants")
TEXT_FIELDS = ("title", "text", "personal_data", "retention")


@pytest.fixture
def purposes(db):
    """The four purposes (made by a privacy data migration; again here after a flushed database)."""
    ensure_default_purposes()


def seed(seed=1, size="small", only=(), **options):
    """The town itself: the modules' own steps are their tests' business."""
    return seed_demo(seed=seed, size=size, today=TODAY, only=only, log=lambda _line: None, **options)


def digest() -> str:
    """A fingerprint of the demo data by natural keys (database ids and password salts left out)."""
    User = get_user_model()
    queries = [
        Merchant.objects.order_by("area__slug", "slug").values_list(
            "area__slug", "trade_name", "legal_name", "slug", "registration_number", "vat_number", "sector",
            "street", "postcode", "city", "latitude", "longitude", "status", "joined_on", "left_on", "website",
        ),
        OpeningHours.objects.order_by("merchant__area__slug", "merchant__slug", "weekday", "opens_at").values_list(
            "merchant__area__slug", "merchant__slug", "weekday", "opens_at", "closes_at"
        ),
        OpeningException.objects.order_by("area__slug", "date", "merchant__slug").values_list(
            "area__slug", "merchant__slug", "date", "kind", "opens_at", "closes_at", "label"
        ),
        User.objects.order_by("email").values_list(
            "email", "first_name", "last_name", "date_joined", "last_seen_at", "pseudonym", "preferred_language"
        ),
        StaffMembership.objects.order_by("user__email", "role").values_list(
            "user__email", "role", "area__slug", "merchant__slug"
        ),
        ConsentEvent.objects.order_by("record_id").values_list(
            "record_id", "subject__email", "area__slug", "purpose__code", "purpose_version__version", "state",
            "method", "language", "occurred_at",
        ),
        CurrentConsent.objects.order_by("subject__email", "area__slug", "purpose__code").values_list(
            "subject__email", "area__slug", "purpose__code", "state", "event__record_id", "updated_at"
        ),
    ]  # fmt: skip
    fingerprint = hashlib.sha256()
    for query in queries:
        for row in query:
            fingerprint.update(repr(row).encode())
    return fingerprint.hexdigest()


def profiles_digest(ctx) -> str:
    rows = [
        (p.area_slug, p.country, p.postcode, p.distance_km, p.band, p.age_band, p.joined_at, p.visits_per_month)
        for p in ctx.members
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


# --- Determinism ---------------------------------------------------------------------------------------


def test_the_same_seed_gives_identical_data(purposes):
    # given
    first = seed(1)
    first_digest, first_profiles = digest(), profiles_digest(first)
    # when
    again = seed(1, reset=True)
    # then
    assert digest() == first_digest
    assert profiles_digest(again) == first_profiles


def test_different_seeds_give_different_data(purposes):
    seed(1)
    first_digest = digest()
    seed(2, reset=True)
    assert digest() != first_digest


def test_the_generator_never_touches_the_global_random_state(purposes):
    random.seed(1234)
    expected = random.random()
    random.seed(1234)
    seed(1, size="tiny")
    assert random.random() == expected


# --- Areas and merchants --------------------------------------------------------------------------------


def test_two_areas_with_their_sites_and_amersfoort_as_default(purposes):
    seed(1, size="tiny")
    amersfoort = ShoppingArea.objects.get(slug="amersfoort")
    mechelen = ShoppingArea.objects.get(slug="mechelen")
    assert (amersfoort.country, amersfoort.time_zone) == ("NL", "Europe/Amsterdam")
    assert (mechelen.country, mechelen.time_zone) == ("BE", "Europe/Brussels")
    assert (amersfoort.site.hostname, amersfoort.site.port, amersfoort.site.is_default_site) == (
        "amersfoort.localhost",
        8000,
        True,
    )
    assert (mechelen.site.hostname, mechelen.site.is_default_site) == ("mechelen.localhost", False)
    for area in (amersfoort, mechelen):
        area.full_clean()
        assert area.pass_name and area.tagline and area.collective_name


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("town", TOWNS, ids=lambda t: t.slug)
def test_branding_colours_carry_white_text(town):
    for colour in (town.primary_colour, town.accent_colour):
        contrast = 1.05 / (_luminance(colour) + 0.05)  # WCAG contrast ratio against white
        assert contrast >= 4.5, f"{colour} has contrast {contrast:.1f}:1 with white"


def test_every_merchant_passes_the_models_checks(purposes):
    seed(1, size="tiny")
    for slug, _country, postcode in (("amersfoort", "NL", r"3811 [A-Z]{2}"), ("mechelen", "BE", "2800")):
        merchants = list(Merchant.objects.filter(area__slug=slug).select_related("area"))
        assert 38 <= len(merchants) <= 42
        for merchant in merchants:
            merchant.full_clean()  # KvK/KBO, VAT and postcode checks, unique slug and branch
            assert merchant.postcode.startswith(postcode[:4])
            assert (
                geo.haversine_km(
                    float(merchant.latitude),
                    float(merchant.longitude),
                    float(merchant.area.centre_latitude),
                    float(merchant.area.centre_longitude),
                )
                < 1
            )
            assert merchant.opening_hours.exists()
        statuses = Counter(m.status for m in merchants)
        assert statuses[MerchantStatus.ACTIVE] >= len(merchants) - 3
        assert statuses[MerchantStatus.PAUSED] >= 1 and statuses[MerchantStatus.LEFT] >= 1
        sectors = Counter(m.sector for m in merchants)
        assert sectors.most_common(2)[0][0] in {"fashion", "hospitality"}


def test_opening_hours_follow_the_towns_customs(purposes):
    seed(1, size="tiny")
    dutch_thursdays = OpeningHours.objects.filter(merchant__area__slug="amersfoort", weekday=3)
    assert dutch_thursdays.filter(closes_at="21:00").exists()  # koopavond
    flemish_shops = OpeningHours.objects.filter(merchant__area__slug="mechelen", merchant__sector="fashion")
    assert not flemish_shops.filter(weekday=6).exists()  # Sunday rest in Belgium
    restaurants = OpeningHours.objects.filter(merchant__trade_name__startswith="Restaurant")
    assert restaurants.exists() and not restaurants.filter(opens_at__lt="12:00").exists()


def test_area_exceptions_mark_the_coming_holidays(purposes):
    seed(1, size="tiny")
    area_wide = OpeningException.objects.filter(merchant__isnull=True)
    assert area_wide.get(area__slug="amersfoort", date=date(2026, 12, 25)).kind == "closed"
    assert area_wide.get(area__slug="mechelen", date=date(2027, 7, 21)).label == "Nationale feestdag"
    assert area_wide.get(area__slug="amersfoort", date=date(2027, 4, 27)).label == "Koningsdag"
    assert area_wide.filter(area__slug="amersfoort", kind="late_night").exists()
    assert not area_wide.filter(date__lt=TODAY).exists()
    assert not area_wide.filter(date__gte=date(2027, 11, 22)).exists()
    # a restaurant keeps its own Christmas dinner hours: the merchant's exception wins
    assert OpeningException.objects.filter(merchant__isnull=False, date=date(2026, 12, 25), label="Kerstdiner").exists()


# --- People -----------------------------------------------------------------------------------------------


def test_each_role_exists_with_the_right_scope(purposes):
    seed(1, size="tiny")
    memberships = list(StaffMembership.objects.select_related("user", "area", "merchant"))
    roles = Counter(m.role for m in memberships)
    assert roles[Role.PLATFORM_ADMIN] == 1
    assert roles[Role.PARCEL_STAFF] == 2
    assert roles[Role.AREA_MANAGER] == 4  # two per area: a large correction of points needs a second
    assert roles[Role.MERCHANT_OWNER] == roles[Role.MERCHANT_STAFF] >= 4
    for membership in memberships:
        if membership.role == Role.PLATFORM_ADMIN:
            assert membership.area is None and membership.merchant is None
            assert membership.user.is_superuser and membership.user.email == "admin@agora.localhost"
        elif membership.role in AREA_ROLES:
            assert membership.area.slug in membership.user.email and membership.merchant is None
        else:
            assert membership.role in MERCHANT_ROLES
            assert membership.merchant.area == membership.area
            assert membership.merchant.status == MerchantStatus.ACTIVE
            assert not membership.user.is_staff


def test_demo_logins_work_with_the_demo_password_and_staff_have_totp(purposes):
    seed(1, size="tiny")
    staff = get_user_model().objects.filter(staff_memberships__isnull=False).distinct()
    assert staff.count() >= 11
    for user in staff:
        assert user.check_password(DEMO_PASSWORD)
        assert user.emailaddress_set.filter(verified=True, primary=True).exists()
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        assert decrypt(authenticator.data["secret"]) == DEMO_TOTP_SECRET
    members = get_user_model().objects.filter(email__endswith=".example")
    assert not members.filter(password__startswith="pbkdf2").exists()  # members cannot log in
    assert not any(user.has_usable_password() for user in members[:20])
    assert get_user_model().objects.get(email="member.mechelen@agora.localhost").check_password(DEMO_PASSWORD)


def test_catchment_follows_the_real_postcode_geography(purposes):
    ctx = seed(1, size="small")
    assert len(ctx.members) == 400
    per_area = Counter(p.area_slug for p in ctx.members)
    assert per_area["amersfoort"] > per_area["mechelen"] > 0
    bands = Counter(p.band for p in ctx.members)
    share = {band: bands[band] / len(ctx.members) for band in DistanceBand}
    assert 0.55 <= share[DistanceBand.UNDER_5] <= 0.67
    assert 0.17 <= share[DistanceBand.FROM_5_TO_15] <= 0.29
    assert 0.06 <= share[DistanceBand.FROM_15_TO_30] <= 0.15
    assert 0.02 <= share[DistanceBand.FROM_30_TO_60] + share[DistanceBand.OVER_60] <= 0.11
    towns = {town.slug: town for town in TOWNS}
    abroad = [p for p in ctx.members if p.country != towns[p.area_slug].country]
    assert 1 <= len(abroad) <= 12
    for profile in ctx.members:
        town = towns[profile.area_slug]
        km = geo.distance_km(profile.country, profile.postcode, town.latitude, town.longitude)
        assert km == pytest.approx(profile.distance_km, abs=0.06)
        assert geo.distance_band(km) == profile.band
        assert TODAY.toordinal() - 731 <= profile.joined_at.date().toordinal() < TODAY.toordinal()


def test_consents_are_demo_events_with_their_projection(purposes):
    ctx = seed(1, size="small")
    members = len(ctx.members)
    current = Counter(CurrentConsent.objects.values_list("purpose__code", "state"))
    assert current[("analytics", "given")] / members == pytest.approx(0.60, abs=0.08)
    assert current[("marketing", "given")] / members == pytest.approx(0.35, abs=0.08)
    assert current[("share_with_merchants", "given")] / members == pytest.approx(0.25, abs=0.08)
    states = Counter(ConsentEvent.objects.values_list("state", flat=True))
    assert states["withdrawn"] > 0 and states["refused"] > 0
    assert set(ConsentEvent.objects.values_list("method", flat=True)) == {"demo"}
    assert not ConsentEvent.objects.filter(purpose__code="operate_pass").exists()  # contract: no consent
    latest = {p.code: p.versions.order_by("-version").first().pk for p in Purpose.objects.all()}
    assert all(latest[code] == v for code, v in ConsentEvent.objects.values_list("purpose__code", "purpose_version"))
    # the projection holds the latest event of each person, area and purpose
    last_events = {}
    for event in ConsentEvent.objects.order_by("occurred_at", "pk"):
        last_events[(event.subject_id, event.area_id, event.purpose_id)] = event.pk
    projection = {(c.subject_id, c.area_id, c.purpose_id): c.event_id for c in CurrentConsent.objects.all()}
    assert projection == last_events
    assert not ConsentEvent.objects.filter(occurred_at__date__gte=TODAY).exists()


# --- The command -------------------------------------------------------------------------------------------


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, "--today", TODAY.isoformat(), "--only", stdout=out)
    return out.getvalue()


def test_the_command_prints_the_logins_and_how_to_get_codes(purposes):
    output = run_command("--seed", "3", "--size", "tiny")
    assert "admin@agora.localhost" in output and "agora-demo" in output
    assert "manager.mechelen@agora.localhost" in output and "http://mechelen.localhost:8000/" in output
    assert "demo_totp" in output and DEMO_TOTP_SECRET in output


def test_if_empty_is_a_no_op_the_second_time(purposes):
    run_command("--size", "tiny", "--if-empty")
    before = digest()
    output = run_command("--size", "tiny", "--if-empty", "--seed", "9")
    assert "nothing seeded" in output
    assert digest() == before


def test_if_empty_does_nothing_when_any_area_exists(purposes):
    ShoppingAreaFactory()
    run_command("--size", "tiny", "--if-empty")
    assert not ShoppingArea.objects.filter(slug__in=DEMO_AREA_SLUGS).exists()


def test_seeding_over_existing_demo_data_needs_reset(purposes):
    run_command("--size", "tiny")
    with pytest.raises(CommandError, match="--reset"):
        run_command("--size", "tiny")


def test_reset_replaces_the_demo_and_keeps_everything_else(purposes):
    # given someone's own area, merchant and account next to the demo
    own_merchant = MerchantFactory(area=ShoppingAreaFactory(slug="eigen-centrum"))
    own_person = UserFactory(email="someone@example.org")
    seed(1, size="tiny")
    demo_area = ShoppingArea.objects.get(slug="amersfoort")
    # when
    seed(2, size="tiny", reset=True)
    # then the demo is new, the rest untouched
    assert not ShoppingArea.objects.filter(pk=demo_area.pk).exists()
    assert Merchant.objects.filter(pk=own_merchant.pk).exists()
    assert get_user_model().objects.filter(pk=own_person.pk).exists()
    assert ShoppingArea.objects.filter(slug__in=DEMO_AREA_SLUGS).count() == 2
    assert demo_users().filter(email__endswith=".example").count() == 98


def test_the_demo_refuses_to_run_in_production(purposes, settings):
    settings.PRODUCTION = True
    with pytest.raises(DemoSeedError, match="production"):
        seed(1, size="tiny")


def test_missing_purposes_stop_the_seed_with_advice(db):
    Purpose.objects.filter(code="marketing").update(code="marketing-retired")
    with pytest.raises(DemoSeedError, match="migrate"):
        seed(1, size="tiny")


def test_demo_totp_prints_the_current_code(purposes):
    seed(1, size="tiny")
    out = io.StringIO()
    call_command("demo_totp", "owner1.amersfoort@agora.localhost", stdout=out)
    code = out.getvalue().split()[0]
    assert validate_totp_code(DEMO_TOTP_SECRET, code)  # allauth's check, without its replay guard
    with pytest.raises(CommandError, match="demo logins"):
        call_command("demo_totp", "someone@example.org")


# --- Extension -------------------------------------------------------------------------------------------


def test_later_modules_add_steps_that_see_the_members(purposes, monkeypatch):
    monkeypatch.setattr(registry, "_STEPS", dict(registry._STEPS))
    seen = {}

    @demo_step(order=900, name="tests.passes")
    def passes(ctx):
        seen["members"] = sum(len(batch) for batch in ctx.member_batches())
        seen["areas"] = sorted(ctx.areas)
        seen["value"] = ctx.rng("tests.passes").random()

    assert registered_steps()[-1].name == "tests.passes"
    seed(1, size="tiny", only=["tests"])
    assert seen["members"] == 100
    assert seen["areas"] == ["amersfoort", "mechelen"]
    assert seen["value"] == random.Random("agora-demo/1/tests.passes").random()


# --- Building blocks ---------------------------------------------------------------------------------------


def test_generated_business_numbers_pass_the_validators():
    rng = random.Random(7)
    for _ in range(300):
        validators.validate_kvk(identifiers.kvk_number(rng))
        validators.validate_vat(identifiers.nl_vat_legal_entity(rng), country="NL")
        validators.validate_vat(identifiers.nl_vat_sole_trader(rng), country="NL")
        kbo = identifiers.kbo_number(rng)
        validators.validate_enterprise_number(kbo)
        validators.validate_vat(identifiers.be_vat(kbo), country="BE")


@pytest.mark.parametrize(
    ("year", "easter"), [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2027, date(2027, 3, 28))]
)
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter


def test_holidays_of_both_countries():
    nl = {h.name: h.date for h in public_holidays("NL", date(2025, 1, 1), date(2026, 1, 1))}
    assert nl["Koningsdag"] == date(2025, 4, 26)  # 27 April 2025 is a Sunday
    assert nl["Hemelvaartsdag"] == date(2025, 5, 29)
    assert nl["Bevrijdingsdag"] == date(2025, 5, 5)
    be = {h.name: h.date for h in public_holidays("BE", date(2025, 1, 1), date(2026, 1, 1))}
    assert be["Nationale feestdag"] == date(2025, 7, 21)
    assert be["Pinkstermaandag"] == date(2025, 6, 9)
    assert "Koningsdag" not in be


def test_shopping_sundays_are_sundays():
    for country in ("NL", "BE"):
        days = shopping_sundays(country, date(2026, 11, 22), date(2027, 11, 22))
        assert days and all(day.weekday() == 6 for day, _label in days)
    assert len(shopping_sundays("BE", date(2026, 11, 22), date(2027, 11, 22))) < 6
