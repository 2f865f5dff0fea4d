"""Seed steps for the places: the two areas with their websites, their merchants, opening hours
and the area-wide holidays and shopping days of the coming year."""

from __future__ import annotations

import math
import random
from datetime import date, time, timedelta
from decimal import Decimal

from django.utils.text import slugify

from areas.models import (
    ExceptionKind,
    Merchant,
    MerchantStatus,
    OpeningException,
    OpeningHours,
    ShoppingArea,
)
from areas.sectors import Sector

from . import identifiers
from .dates import public_holidays, shopping_sundays
from .hours import hospitality_kind, opening_hours
from .names import DESCRIPTIONS, FIRST_NAMES, LAST_NAMES, TRADE_NAMES
from .registry import DemoContext, demo_step
from .towns import SECTOR_MIX, TOWNS, Town

SITE_PORT = 8000


def _degrees(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


@demo_step(order=10, name="areas.areas")
def create_areas(ctx: DemoContext) -> None:
    """The two shopping areas (their Wagtail sites come from the cms step)."""
    for town in TOWNS:
        area = ShoppingArea(
            name=town.name,
            slug=town.slug,
            country=town.country,
            time_zone=town.time_zone,
            languages=["nl", "en"],
            tagline=town.tagline,
            primary_colour=town.primary_colour,
            accent_colour=town.accent_colour,
            pass_name=town.pass_name,
            collective_name=town.collective_name,
            collective_address=town.collective_address,
            privacy_email=town.privacy_email,
            centre_latitude=_degrees(town.latitude),
            centre_longitude=_degrees(town.longitude),
            catchment_km=15,
        )
        area.full_clean()
        area.save()
        ctx.areas[town.slug] = area
    ctx.count("areas", len(TOWNS))


def site_url(area: ShoppingArea) -> str:
    return f"{area.site.root_url}/" if area.site else ""


# --- Merchants -------------------------------------------------------------------------------------


def surname_alone(surname: str) -> str:
    """A Dutch surname without a first name before it starts with a capital: "De Vries"."""
    return surname[:1].upper() + surname[1:]


def _fill(template: str, country: str, rng: random.Random) -> str:
    surname = rng.choice(LAST_NAMES[country])
    return template.format(
        s=surname if "} {s}" in template else surname_alone(surname),
        f=rng.choice(FIRST_NAMES[country]["f"]),
        m=rng.choice(FIRST_NAMES[country]["m"]),
    )


def _trade_names(sector: str, count: int, country: str, rng: random.Random, taken: set[str]) -> list[str]:
    pool = list(TRADE_NAMES[sector]["*"] + TRADE_NAMES[sector][country])
    rng.shuffle(pool)
    names: list[str] = []
    attempts = 0
    while len(names) < count:
        template = pool[attempts % len(pool)]
        attempts += 1
        name = _fill(template, country, rng)
        if slugify(name) not in taken:
            taken.add(slugify(name))
            names.append(name)
        if attempts > 50 * (count + len(pool)):
            raise ValueError(f"Too few trade names for {count} merchants in {sector}.")
    return names


def _legal(trade_name: str, country: str, rng: random.Random) -> tuple[str, str, str]:
    """(legal name, registration number, VAT number) for a business of the trade name."""
    owner = surname_alone(rng.choice(LAST_NAMES[country]))
    roll = rng.random()
    if country == "NL":
        kvk = identifiers.kvk_number(rng)
        if roll < 0.55:
            return f"{trade_name} B.V.", kvk, identifiers.nl_vat_legal_entity(rng)
        if roll < 0.75:
            partner = surname_alone(rng.choice(LAST_NAMES[country]))
            return f"V.o.f. {owner} & {partner}", kvk, identifiers.nl_vat_legal_entity(rng)
        # A sole trader's legal name is the trade name; the VAT id is the newer, mod-97 kind.
        return trade_name, kvk, identifiers.nl_vat_sole_trader(rng)
    kbo = identifiers.kbo_number(rng)
    if roll < 0.6:
        legal = f"{trade_name} BV"
    elif roll < 0.7:
        legal = f"{owner} & Zonen NV"
    elif roll < 0.75:
        legal = f"{owner} CommV"
    else:  # a natural person trading under the shop's name
        legal = f"{rng.choice(FIRST_NAMES[country]['f'] + FIRST_NAMES[country]['m'])} {rng.choice(LAST_NAMES[country])}"
    return legal, kbo, identifiers.be_vat(kbo)


def _address(town: Town, rng: random.Random, used: set[tuple[str, int]]) -> tuple[str, str, float, float]:
    """(street and number, postcode, latitude, longitude), near the street's place in the centre."""
    while True:
        street = rng.choice(town.streets)
        number = rng.randint(*street.numbers)
        if (street.name, number) not in used:
            used.add((street.name, number))
            break
    postcode = f"{town.postcode} {street.letters[number % 2 == 0]}" if town.country == "NL" else town.postcode
    east = street.offset_m[0] + rng.uniform(-35, 35)
    north = street.offset_m[1] + rng.uniform(-35, 35)
    latitude = town.latitude + north / 111_320
    longitude = town.longitude + east / (111_320 * math.cos(math.radians(town.latitude)))
    return f"{street.name} {number}", postcode, latitude, longitude


@demo_step(order=20, name="areas.merchants")
def create_merchants(ctx: DemoContext) -> None:
    """About 40 merchants per area in a town centre's sector mix, with their weekly opening hours."""
    rng = ctx.rng("areas.merchants")
    hours: list[OpeningHours] = []
    for town in TOWNS:
        area = ctx.areas[town.slug]
        taken: set[str] = set()
        used: set[tuple[str, int]] = set()
        merchants: list[Merchant] = []
        for sector, count in SECTOR_MIX:
            for trade_name in _trade_names(sector, count, town.country, rng, taken):
                legal_name, registration, vat = _legal(trade_name, town.country, rng)
                street, postcode, latitude, longitude = _address(town, rng, used)
                slug = slugify(trade_name)
                merchant = Merchant(
                    area=area,
                    trade_name=trade_name,
                    legal_name=legal_name,
                    slug=slug,
                    registration_number=registration,
                    vat_number=vat if rng.random() < 0.92 else "",
                    sector=sector,
                    street=street,
                    postcode=postcode,
                    city=town.city,
                    latitude=_degrees(latitude),
                    longitude=_degrees(longitude),
                    email=f"info@{slug}.example",
                    website=f"https://www.{slug}.example/" if rng.random() < 0.6 else "",
                    description=DESCRIPTIONS[sector],
                    status=MerchantStatus.ACTIVE,
                    joined_on=ctx.today - timedelta(days=rng.randint(60, 4_000)),
                )
                merchants.append(merchant)
        # A couple have paused their membership or left the collective.
        paused, left = rng.sample([m for m in merchants if m.sector != Sector.GROCERIES], 2)
        paused.status = MerchantStatus.PAUSED
        left.status = MerchantStatus.LEFT
        left.left_on = ctx.today - timedelta(days=rng.randint(20, 200))
        left.joined_on = min(left.joined_on, left.left_on - timedelta(days=365))
        for merchant in merchants:
            # Every generated merchant must pass the model's own checks (KvK/KBO, VAT, postcode).
            merchant.full_clean(validate_unique=False, validate_constraints=False)
        Merchant.objects.bulk_create(merchants)
        ctx.merchant_ids[town.slug] = [m.pk for m in merchants]
        for merchant in merchants:
            for weekday, opens, closes in opening_hours(merchant.sector, merchant.trade_name, town.country, rng):
                hours.append(
                    OpeningHours(
                        merchant=merchant,
                        weekday=weekday,
                        opens_at=time.fromisoformat(opens),
                        closes_at=time.fromisoformat(closes),
                    )
                )
        ctx.count("merchants", len(merchants))
    OpeningHours.objects.bulk_create(hours)
    ctx.count("opening hours", len(hours))


# --- Holidays and shopping days ------------------------------------------------------------------


def _special(opens: str, closes: str) -> dict:
    return {
        "kind": ExceptionKind.SPECIAL_HOURS,
        "opens_at": time.fromisoformat(opens),
        "closes_at": time.fromisoformat(closes),
    }


def _area_days(town: Town, today: date) -> dict[date, dict]:
    """The area-wide exceptions of the coming twelve months, by date (a holiday wins over a Sunday)."""
    end = today + timedelta(days=365)
    days: dict[date, dict] = {}
    sunday_hours = ("12:00", "17:00") if town.country == "NL" else ("13:00", "18:00")
    for day, label in shopping_sundays(town.country, today, end):
        days[day] = {**_special(*sunday_hours), "label": label}
    christmas_evenings = [date(year, 12, d) for year in (today.year, today.year + 1) for d in (21, 22)]
    for day in christmas_evenings:
        if today <= day < end and day.weekday() < 5:
            label = "Kerstkoopavond" if town.country == "NL" else "Kerstavondshopping"
            days[day] = {"kind": ExceptionKind.LATE_NIGHT, "opens_at": time(10), "closes_at": time(21), "label": label}
    for holiday in public_holidays(town.country, today, end):
        if holiday.custom == "closed":
            days[holiday.date] = {"kind": ExceptionKind.CLOSED, "opens_at": None, "closes_at": None}
        elif holiday.custom == "sunday":
            days[holiday.date] = _special(*sunday_hours)
        else:
            days[holiday.date] = _special("09:30", "16:00")
        days[holiday.date]["label"] = holiday.name
    return days


@demo_step(order=30, name="areas.opening_exceptions")
def create_opening_exceptions(ctx: DemoContext) -> None:
    """Holidays, shopping Sundays and Christmas late nights for each area; restaurants and cafés
    keep their own hours on some of those days (a merchant's exception wins over the area's)."""
    rows: list[OpeningException] = []
    for town in TOWNS:
        area = ctx.areas[town.slug]
        days = _area_days(town, ctx.today)
        rows += [OpeningException(area=area, date=day, **spec) for day, spec in sorted(days.items())]
        hospitality = Merchant.objects.filter(
            pk__in=ctx.merchant_ids[town.slug], sector=Sector.HOSPITALITY, status=MerchantStatus.ACTIVE
        ).order_by("pk")
        for merchant in hospitality:
            kind = hospitality_kind(merchant.trade_name)
            for day, spec in sorted(days.items()):
                if spec["kind"] != ExceptionKind.CLOSED:
                    continue
                if kind == "restaurant" and day.month == 12 and day.day == 25:
                    own = {**_special("17:00", "22:00"), "label": "Kerstdiner"}
                elif kind == "cafe" and day.month == 1 and day.day == 1:
                    own = {**_special("14:00", "22:00"), "label": "Nieuwjaarsborrel"}
                else:
                    continue
                rows.append(OpeningException(area=area, merchant=merchant, date=day, **own))
    OpeningException.objects.bulk_create(rows)
    ctx.count("opening exceptions", len(rows))
