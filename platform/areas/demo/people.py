"""Seed steps for the people: staff in every role (with TOTP), members with a realistic
catchment, and their consent decisions."""

from __future__ import annotations

import bisect
import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password

from accounts.roles import Role
from areas import geo
from areas.geo import DistanceBand
from areas.models import Merchant, MerchantStatus, ShoppingArea, StaffMembership
from areas.sectors import Sector
from areas.services import roles_changed
from privacy.models import CollectionMethod, ConsentEvent, ConsentState, CurrentConsent, Purpose, PurposeVersion

from .names import EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES
from .registry import DemoContext, DemoLogin, DemoSeedError, MemberProfile, demo_step
from .shops import site_url
from .towns import TOWNS, Town

#: Every demo login uses this password. Fine for a demo on localhost; never in production.
DEMO_PASSWORD = "agora-demo"
#: The TOTP key of every demo staff login (base32): add it once to an authenticator app, or run
#: `manage.py demo_totp`.
DEMO_TOTP_SECRET = "AGORADEMOAGORADEMOAGORADEMOAGORA"
STAFF_DOMAIN = "agora.localhost"
ADMIN_EMAIL = f"admin@{STAFF_DOMAIN}"
#: The merchants (by sector, in order) whose owner and staff get demo logins.
STAFFED_SECTORS = (Sector.FASHION, Sector.HOSPITALITY, Sector.FOOD_SPECIALTY)


def is_demo_email(email: str) -> bool:
    """Demo accounts live at the staff domain or a reserved `.example` domain (RFC 2606)."""
    email = email.lower()
    return email.endswith(f"@{STAFF_DOMAIN}") or email.endswith(".example")


def demo_password_hash(ctx: DemoContext) -> str:
    """The demo password, hashed once per run (hashing is slow on purpose)."""
    if "demo_password_hash" not in ctx.extra:
        ctx.extra["demo_password_hash"] = make_password(DEMO_PASSWORD)
    return ctx.extra["demo_password_hash"]


# --- Staff ------------------------------------------------------------------------------------------


@dataclass
class _StaffSpec:
    email: str
    role: str
    scope: str
    url: str
    area: ShoppingArea | None = None
    merchant: Merchant | None = None


def _staff_specs(ctx: DemoContext) -> list[_StaffSpec]:
    first_area = next(iter(ctx.areas.values()))
    specs = [_StaffSpec(ADMIN_EMAIL, Role.PLATFORM_ADMIN, "platform", f"{site_url(first_area)}admin/")]
    for town in TOWNS:
        area = ctx.areas[town.slug]
        url = site_url(area)
        specs += [
            _StaffSpec(f"manager.{town.slug}@{STAFF_DOMAIN}", Role.AREA_MANAGER, area.name, url, area=area),
            # A second manager: a large correction of points needs two (loyalty's corrections).
            _StaffSpec(f"manager2.{town.slug}@{STAFF_DOMAIN}", Role.AREA_MANAGER, area.name, url, area=area),
            _StaffSpec(f"parcels.{town.slug}@{STAFF_DOMAIN}", Role.PARCEL_STAFF, area.name, url, area=area),
        ]
        active = Merchant.objects.filter(pk__in=ctx.merchant_ids[town.slug], status=MerchantStatus.ACTIVE)
        for n, sector in enumerate(STAFFED_SECTORS, start=1):
            merchant = active.filter(sector=sector).order_by("pk").first()
            scope = f"{merchant.trade_name} ({area.name})"
            specs += [
                _StaffSpec(f"owner{n}.{town.slug}@{STAFF_DOMAIN}", Role.MERCHANT_OWNER, scope, url, area, merchant),
                _StaffSpec(f"staff{n}.{town.slug}@{STAFF_DOMAIN}", Role.MERCHANT_STAFF, scope, url, area, merchant),
            ]
    return specs


@demo_step(order=40, name="areas.staff")
def create_staff(ctx: DemoContext) -> None:
    """A login for every role, with the demo password, a verified e-mail address and TOTP."""
    rng = ctx.rng("areas.staff")
    User = get_user_model()
    password = demo_password_hash(ctx)
    joined = ctx.at(next(iter(ctx.areas.values())), ctx.today - timedelta(days=400), 9)
    specs = _staff_specs(ctx)
    users = []
    for spec in specs:
        country = spec.area.country if spec.area else "NL"
        users.append(
            User(
                email=spec.email,
                first_name=rng.choice(FIRST_NAMES[country][rng.choice("fm")]),
                last_name=rng.choice(LAST_NAMES[country]),
                password=password,
                is_staff=spec.role == Role.PLATFORM_ADMIN,
                is_superuser=spec.role == Role.PLATFORM_ADMIN,
                date_joined=joined,
                pseudonym=uuid.UUID(int=rng.getrandbits(128), version=4),
            )
        )
    User.objects.bulk_create(users)
    StaffMembership.objects.bulk_create(
        StaffMembership(user=user, role=spec.role, area=spec.area, merchant=spec.merchant)
        for user, spec in zip(users, specs, strict=True)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    for user in users:
        roles_changed(user)  # bulk_create told no one: the area managers' website editor groups
        # allauth's own activation: the platform asks every role holder for a second factor.
        TOTP.activate(user, DEMO_TOTP_SECRET)
    ctx.logins += [DemoLogin(s.email, s.role, s.scope, s.url, has_totp=True) for s in specs]
    ctx.count("staff logins", len(users))


# --- Members ----------------------------------------------------------------------------------------

#: Where members live, by distance from the centre: most in town, a tail from far away and a few
#: from the other country (the last entry). Shares follow the catchment of a mid-sized town's pass.
CATCHMENT: tuple[tuple[DistanceBand | str, float], ...] = (
    (DistanceBand.UNDER_5, 0.61),
    (DistanceBand.FROM_5_TO_15, 0.23),
    (DistanceBand.FROM_15_TO_30, 0.10),
    (DistanceBand.FROM_30_TO_60, 0.03),
    (DistanceBand.OVER_60, 0.02),
    ("abroad", 0.01),
)
AGE_BANDS: tuple[tuple[str, float], ...] = (
    ("18-24", 0.07),
    ("25-34", 0.15),
    ("35-44", 0.18),
    ("45-54", 0.20),
    ("55-64", 0.19),
    ("65-74", 0.14),
    ("75+", 0.07),
)
_AGE_BAND_NAMES = [name for name, _share in AGE_BANDS]
_AGE_BAND_CUM_WEIGHTS = list(accumulate(share for _name, share in AGE_BANDS))
#: How often members come, relative to someone living in town.
_VISIT_FACTOR = {"0-5": 1.0, "5-15": 0.6, "15-30": 0.35, "30-60": 0.2, "60+": 0.1}
MEMBER_HISTORY_DAYS = 730  # members joined over the past two years


class _Pool:
    """Postcodes to draw from, with cumulative weights for `random.choices`."""

    def __init__(self, entries: list[tuple[geo.PostcodeArea, float]], weight) -> None:
        if not entries:
            raise DemoSeedError("A catchment band has no postcodes: is the postcode file complete?")
        self.entries = entries
        self.cum_weights = list(accumulate(weight(km) for _area, km in entries))

    def draw(self, rng: random.Random) -> tuple[geo.PostcodeArea, float]:
        x = rng.random() * self.cum_weights[-1]
        return self.entries[bisect.bisect_right(self.cum_weights, x)]


def _catchment(town: Town) -> list[tuple[str, float, _Pool]]:
    home = geo.postcodes_by_distance(town.country, town.latitude, town.longitude)
    other_country = "BE" if town.country == "NL" else "NL"
    abroad = geo.postcodes_by_distance(other_country, town.latitude, town.longitude, km=150)
    bands = []
    for band, share in CATCHMENT:
        if band == "abroad":
            pool = _Pool(abroad, lambda km: 1 / km**2)  # mostly from just across the border
        else:
            entries = [(a, km) for a, km in home if band.lower_km <= km < band.upper_km]
            near = band in (DistanceBand.UNDER_5, DistanceBand.FROM_5_TO_15)
            # a mild pull towards the centre nearby, a steep one for the long tail
            pool = _Pool(entries, (lambda km: 1 / (1 + km / 5)) if near else (lambda km: 1 / km**2))
        bands.append((str(band), share, pool))
    return bands


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum())


def _email(first: str, last: str, rng: random.Random, taken: set[str]) -> str:
    first_part, last_part = _ascii(first).lower(), _ascii(last).lower()
    style = rng.random()
    if style < 0.5:
        local = f"{first_part}.{last_part}"
    elif style < 0.7:
        local = f"{first_part[0]}.{last_part}"
    elif style < 0.85:
        local = f"{first_part}{last_part}{rng.randint(1, 99)}"
    else:
        local = f"{first_part}_{rng.randint(1950, 2007)}"
    domain = rng.choice(EMAIL_DOMAINS)
    email = f"{local}@{domain}"
    n = 2
    while email in taken:
        email = f"{local}{n}@{domain}"
        n += 1
    taken.add(email)
    return email


def _joined_day(rng: random.Random) -> int:
    """Days before today: a launch wave two years ago, then steady sign-ups, a bit more lately."""
    if rng.random() < 0.15:
        return rng.randint(MEMBER_HISTORY_DAYS - 45, MEMBER_HISTORY_DAYS)
    return 1 + int((MEMBER_HISTORY_DAYS - 2) * rng.random() ** 1.2)


@demo_step(order=50, name="areas.members")
def create_members(ctx: DemoContext) -> None:
    """Members of each area (about 58% Amersfoort, 42% Mechelen), created in batches.

    Accounts only: the profile (postcode, age band, join date) stays in `ctx.members` until the
    loyalty module's pass holds it. The first member of each area has a demo login.
    """
    rng = ctx.rng("areas.members")
    User = get_user_model()
    unusable = f"{UNUSABLE_PASSWORD_PREFIX}demo-member-without-password"
    taken: set[str] = set()
    member_password = demo_password_hash(ctx)
    remaining = ctx.size.members
    for index, town in enumerate(TOWNS):
        area = ctx.areas[town.slug]
        total = remaining if index == len(TOWNS) - 1 else round(ctx.size.members * town.member_share)
        remaining -= total
        bands = _catchment(town)
        band_weights = list(accumulate(share for _band, share, _pool in bands))
        for start in range(0, total, ctx.size.batch_size):
            users, profiles = [], []
            for n in range(start, min(start + ctx.size.batch_size, total)):
                _band_name, _share, pool = bands[bisect.bisect_right(band_weights, rng.random() * band_weights[-1])]
                place, km = pool.draw(rng)
                # names follow where people live: Flemish names for Belgian postcodes, Dutch ones for Dutch
                names_country = place.country
                first = rng.choice(FIRST_NAMES[names_country][rng.choice("ffm")])
                last = rng.choice(LAST_NAMES[names_country])
                language = "en" if rng.random() < 0.07 else "nl"
                joined_at = ctx.at(
                    area,
                    ctx.today - timedelta(days=_joined_day(rng)),
                    rng.randint(8, 21),
                    rng.randint(0, 59),
                    rng.randint(0, 59),
                )
                age_band = rng.choices(_AGE_BAND_NAMES, cum_weights=_AGE_BAND_CUM_WEIGHTS)[0]
                band = geo.distance_band(km)
                demo_login = n == 0
                email = f"member.{town.slug}@{STAFF_DOMAIN}" if demo_login else _email(first, last, rng, taken)
                seen_days = rng.randint(0, max(0, (ctx.today - joined_at.date()).days - 1))
                users.append(
                    User(
                        email=email,
                        first_name=first,
                        last_name=last,
                        preferred_language=language,
                        password=member_password if demo_login else unusable,
                        date_joined=joined_at,
                        last_seen_at=max(
                            joined_at + timedelta(minutes=5),
                            ctx.at(area, ctx.today - timedelta(days=seen_days), rng.randint(9, 20)),
                        ),
                        pseudonym=uuid.UUID(int=rng.getrandbits(128), version=4),
                    )
                )
                profiles.append(
                    MemberProfile(
                        user_id=0,
                        area_slug=town.slug,
                        country=place.country,
                        postcode=place.postcode,
                        distance_km=round(km, 1),
                        band=band,
                        age_band=age_band,
                        language=language,
                        joined_at=joined_at,
                        visits_per_month=round(
                            rng.lognormvariate(0.4, 0.8) * _VISIT_FACTOR[band.value] * ctx.size.visit_factor, 2
                        ),
                    )
                )
            User.objects.bulk_create(users)
            for user, profile in zip(users, profiles, strict=True):
                profile.user_id = user.pk
            if start == 0 and users:
                EmailAddress.objects.create(user=users[0], email=users[0].email, verified=True, primary=True)
                ctx.logins.append(DemoLogin(users[0].email, "member", area.name, site_url(area), has_totp=False))
            ctx.members += profiles
            ctx.count("members", len(users))
        ctx.log(f"  {total} members for {area.name}")


# --- Consents ---------------------------------------------------------------------------------------

#: Share of members who, in the end, consent to each purpose; the contract purpose (running the
#: pass) needs no consent and so has no events.
CONSENT_TARGETS = {Purpose.ANALYTICS: 0.60, Purpose.MARKETING: 0.35, Purpose.SHARE_WITH_MERCHANTS: 0.25}
WITHDRAW_LATER = 0.08  # of those who said yes at sign-up
AGREE_LATER = 0.05  # of those who did not
EXPLICIT_REFUSAL = 0.4  # of those who did not: pressed "no" rather than leaving the box unticked


def _latest_versions() -> dict[str, PurposeVersion]:
    versions: dict[str, PurposeVersion] = {}
    for version in (
        PurposeVersion.objects.filter(purpose__code__in=list(CONSENT_TARGETS))
        .select_related("purpose")
        .order_by("purpose__code", "-version")
    ):
        versions.setdefault(version.purpose.code, version)
    missing = sorted(set(CONSENT_TARGETS) - set(versions))
    if missing:
        raise DemoSeedError(
            f"Consent purposes without a published text: {', '.join(missing)}. "
            "Run `manage.py migrate` (the privacy app's data migration creates them)."
        )
    return versions


def _decisions(profile: MemberProfile, rng: random.Random, today, tz) -> list[tuple[str, str, datetime]]:
    """(purpose code, state, time) of one member's consent events, in time order."""
    events = []
    days_since = max(1, (today - profile.joined_at.date()).days)

    def later(after: datetime) -> datetime:  # a change of mind, some day between sign-up and yesterday
        day = today - timedelta(days=rng.randint(1, days_since))
        moment = datetime.combine(day, time(rng.randint(7, 22), rng.randint(0, 59)), tzinfo=tz)
        return max(moment, after + timedelta(hours=1))

    for offset, (code, target) in enumerate(CONSENT_TARGETS.items()):
        at_signup = profile.joined_at + timedelta(seconds=20 + offset)
        yes_at_signup = (target - AGREE_LATER) / (1 - WITHDRAW_LATER - AGREE_LATER)
        if rng.random() < yes_at_signup:
            events.append((code, ConsentState.GIVEN, at_signup))
            if rng.random() < WITHDRAW_LATER:
                events.append((code, ConsentState.WITHDRAWN, later(at_signup)))
        else:
            if rng.random() < EXPLICIT_REFUSAL:
                events.append((code, ConsentState.REFUSED, at_signup))
            if rng.random() < AGREE_LATER:
                events.append((code, ConsentState.GIVEN, later(at_signup)))
    return sorted(events, key=lambda e: e[2])


@demo_step(order=60, name="areas.consents")
def create_consents(ctx: DemoContext) -> None:
    """Consent events (method "demo", the latest text of each purpose) and their projection."""
    rng = ctx.rng("areas.consents")
    versions = _latest_versions()
    zones = {slug: ZoneInfo(area.time_zone) for slug, area in ctx.areas.items()}
    for batch in ctx.member_batches():
        events: list[ConsentEvent] = []
        for profile in batch:
            area = ctx.areas[profile.area_slug]
            for code, state, occurred_at in _decisions(profile, rng, ctx.today, zones[profile.area_slug]):
                version = versions[code]
                events.append(
                    ConsentEvent(
                        record_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        # ids, not instances: setting related objects costs more than the insert
                        subject_id=profile.user_id,
                        area_id=area.pk,
                        purpose_id=version.purpose_id,
                        purpose_version_id=version.pk,
                        state=state,
                        method=CollectionMethod.DEMO,
                        language=profile.language,
                        occurred_at=occurred_at,
                        recorded_by_id=None,  # the members decided themselves
                    )
                )
        ConsentEvent.objects.bulk_create(events)
        # The projection holds each person's latest event per area and purpose.
        latest: dict[tuple[int, int, int], ConsentEvent] = {}
        for event in events:
            latest[(event.subject_id, event.area_id, event.purpose_id)] = event
        CurrentConsent.objects.bulk_create(
            CurrentConsent(
                subject_id=event.subject_id,
                area_id=event.area_id,
                purpose_id=event.purpose_id,
                state=event.state,
                event_id=event.pk,
                updated_at=event.occurred_at,
            )
            for event in latest.values()
        )
        ctx.count("consent events", len(events))
        ctx.count("current consents", len(latest))
