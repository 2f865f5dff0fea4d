"""Demo data for the webshop: per area its shop settings (commission, the parcel point), categories, courier zones
and local boxes; a merchant shop for every retail merchant (Connect ids `acct_demo_<id>`, charges and payouts
enabled); products with believable Dutch and English titles per sector, with a photo drawn here with Pillow (one
small PNG per category, shared by its products); and three months of paid orders in every state.

Orders are simulated in memory and bulk-inserted, written as the services write them: a `Payment` for what the
card paid; a part handed over more than a few days ago has its `Transfer` (goods + delivery − refunds − commission
on the goods left, `money.payout_of_part`); a few lines were unavailable and refunded before the handover; a part
whose every line was unavailable is cancelled with its delivery refunded. An order's bike-courier parts are one ride
(one address in a zone's postcode, in the country's form, one slot), its fee shared over them as the checkout does
(`checkout.share_courier_fees`). So `invariants.check_orders()` finds nothing on the demo. Members' orders earn
city-pass points through the shop's loyalty bridge at their payment time, and refunds take them back (`_points`), so
the loyalty settlement has webshop rows. The newest orders wait in the merchants' queues (new, accepted, ready).
"""

from __future__ import annotations

import io
import random
import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q

from areas import geo
from areas.demo import DemoContext, WipeScope, delete_many, demo_step, demo_wipe
from areas.models import Merchant, MerchantStatus
from areas.sectors import Sector

from .models import (
    Cart,
    CartLine,
    Category,
    CourierZone,
    Fulfilment,
    LocalBox,
    LocalBoxItem,
    MerchantOrder,
    MerchantOrderStatus,
    MerchantShop,
    Notice,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    Product,
    ProductImage,
    Refund,
    RefundLine,
    Reservation,
    ShopSettings,
    Transfer,
    TransferReversal,
    Variant,
)
from .services import loyalty_bridge
from .services.checkout import courier_slots, line_titles, share_courier_fees
from .services.money import PartRefunds, payout_of_part

HISTORY_DAYS = 92
ORDERS_PER_DAY = {"tiny": 1, "small": 3, "medium": 12, "large": 60}  # per area
PRODUCTS_PER_MERCHANT = {"tiny": 3, "small": 5, "medium": 8, "large": 12}
COMMISSION_BPS = 800
UNAVAILABLE_SHARE = 0.03  # of lines
PUBLIC_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PICKUP_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
POSTCODE_LETTERS = "ABCEGHJKLMNPRTVWXZ"  # a Dutch postcode's two letters (no S: never SA, SD or SS)
RAND_KM = 5  # the outer courier zone: the country's postcodes this near the centre

#: slug, Dutch, English, colour of the drawn photo, the sectors whose products it holds
CATEGORIES = (
    ("eten-drinken", "Eten en drinken", "Food and drink", "#b5651d", (Sector.GROCERIES, Sector.FOOD_SPECIALTY)),
    ("verzorging", "Verzorging", "Health and beauty", "#8e5ea2", (Sector.HEALTH_BEAUTY,)),
    ("mode", "Mode en schoenen", "Fashion and shoes", "#2a6f97", (Sector.FASHION,)),
    ("sieraden", "Sieraden en horloges", "Jewellery and watches", "#c9a227", (Sector.JEWELLERY,)),
    ("boeken-spellen", "Boeken en spellen", "Books and games", "#3a7d44", (Sector.BOOKS_TOYS,)),
    ("sport", "Sport en buiten", "Sports and outdoor", "#d1495b", (Sector.SPORTS,)),
    ("elektronica", "Elektronica", "Electronics", "#30343f", (Sector.ELECTRONICS,)),
    ("wonen", "Wonen en tuin", "Home and garden", "#6b8f71", (Sector.HOME_LIVING, Sector.FLOWERS)),
    ("cadeaus", "Cadeaus en meer", "Gifts and more", "#e07a5f", (Sector.OTHER_RETAIL,)),
)
RETAIL_SECTORS = tuple(sector for *_rest, sectors in CATEGORIES for sector in sectors)
SIZES = ("S", "M", "L", "XL")
SHOE_SIZES = ("38", "40", "42", "44")

#: Dutch title, English title, price in cents, VAT (bps; NL rates, mapped for Belgium), options
CATALOGUE: dict[str, tuple[tuple[str, str, int, int, tuple[str, ...]], ...]] = {
    Sector.GROCERIES: (
        ("Biologische appelsap 1 l", "Organic apple juice 1 l", 295, 900, ()),
        ("Streekhoning 450 g", "Local honey 450 g", 695, 900, ()),
        ("Koffiebonen huisbrand 500 g", "House roast coffee beans 500 g", 1195, 900, ()),
        ("Pindakaas grof 350 g", "Crunchy peanut butter 350 g", 425, 900, ()),
        ("Olijfolie extra vierge 500 ml", "Extra virgin olive oil 500 ml", 1095, 900, ()),
        ("Volkoren pasta 500 g", "Wholewheat pasta 500 g", 249, 900, ()),
    ),
    Sector.FOOD_SPECIALTY: (
        ("Oude Goudse kaas 500 g", "Aged Gouda cheese 500 g", 895, 900, ()),
        ("Desembrood volkoren", "Wholewheat sourdough loaf", 475, 900, ()),
        ("Stroopwafels ambachtelijk (8 st.)", "Artisan syrup waffles (8)", 595, 900, ()),
        ("Chocoladeletter puur", "Dark chocolate letter", 450, 900, ()),
        ("Taartje van de week", "Cake of the week", 1850, 900, ()),
        ("Boerenmetworst", "Farmhouse smoked sausage", 695, 900, ()),
        ("Speciaalbier proefpakket (4 fl.)", "Craft beer tasting pack (4 bottles)", 1295, 2100, ()),
    ),
    Sector.HEALTH_BEAUTY: (
        ("Handcrème met calendula", "Calendula hand cream", 895, 2100, ()),
        ("Natuurlijke zeep lavendel", "Natural lavender soap", 550, 2100, ()),
        ("Zonnebrand SPF 30", "Sunscreen SPF 30", 1295, 2100, ()),
        ("Eau de parfum 50 ml", "Eau de parfum 50 ml", 4995, 2100, ()),
        ("Bamboe tandenborstel (4 st.)", "Bamboo toothbrushes (4)", 795, 2100, ()),
    ),
    Sector.FASHION: (
        ("T-shirt biokatoen", "Organic cotton T-shirt", 2995, 2100, SIZES),
        ("Wollen sjaal", "Wool scarf", 3995, 2100, ()),
        ("Spijkerbroek straight", "Straight-leg jeans", 8995, 2100, SIZES),
        ("Leren sneakers", "Leather trainers", 11995, 2100, SHOE_SIZES),
        ("Regenjas", "Raincoat", 9995, 2100, SIZES),
        ("Sokken met stadswapen (3 paar)", "City arms socks (3 pairs)", 1495, 2100, ()),
    ),
    Sector.JEWELLERY: (
        ("Zilveren oorbellen", "Silver earrings", 4950, 2100, ()),
        ("Armband met bedel", "Charm bracelet", 3950, 2100, ()),
        ("Horlogebandje leer", "Leather watch strap", 2495, 2100, ()),
        ("Leesbril +1,5", "Reading glasses +1.5", 1995, 2100, ()),
        ("Ketting met hanger", "Pendant necklace", 6950, 2100, ()),
    ),
    Sector.BOOKS_TOYS: (
        ("Roman van een stadsgenoot", "Novel by a local author", 2299, 900, ()),
        ("Stadsgids met wandelroutes", "City guide with walks", 1995, 900, ()),
        ("Legpuzzel 1000 stukjes", "Jigsaw puzzle 1000 pieces", 1899, 2100, ()),
        ("Bordspel voor het gezin", "Family board game", 3499, 2100, ()),
        ("Prentenboek", "Picture book", 1499, 900, ()),
        ("Knutselpakket", "Craft kit", 1295, 2100, ()),
    ),
    Sector.SPORTS: (
        ("Yogamat", "Yoga mat", 3495, 2100, ()),
        ("Hardloopshirt", "Running shirt", 3995, 2100, SIZES),
        ("Drinkfles RVS", "Steel water bottle", 1995, 2100, ()),
        ("Fietsbel", "Bicycle bell", 895, 2100, ()),
        ("Wandelsokken", "Hiking socks", 1495, 2100, SHOE_SIZES),
    ),
    Sector.ELECTRONICS: (
        ("USB-C laadkabel 2 m", "USB-C charging cable 2 m", 1495, 2100, ()),
        ("Telefoonhoesje", "Phone case", 1995, 2100, ()),
        ("Draadloze oordopjes", "Wireless earbuds", 5995, 2100, ()),
        ("Powerbank 10.000 mAh", "Power bank 10,000 mAh", 2995, 2100, ()),
    ),
    Sector.HOME_LIVING: (
        ("Geurkaars vijg", "Fig scented candle", 1995, 2100, ()),
        ("Theedoek linnen", "Linen tea towel", 1295, 2100, ()),
        ("Vaas keramiek", "Ceramic vase", 3495, 2100, ()),
        ("Plaid wol", "Wool throw", 6995, 2100, ()),
        ("Bloembollen voorjaarsmix", "Spring bulb mix", 995, 900, ()),
    ),
    Sector.FLOWERS: (
        ("Boeket van het seizoen", "Seasonal bouquet", 2495, 900, ()),
        ("Kamerplant monstera", "Monstera house plant", 2995, 900, ()),
        ("Tulpen (20 st.)", "Tulips (20)", 995, 900, ()),
        ("Orchidee in pot", "Potted orchid", 1995, 900, ()),
    ),
    Sector.OTHER_RETAIL: (
        ("Cadeaubon-doosje met kaart", "Gift box with card", 495, 2100, ()),
        ("Ansichtkaarten van de stad (5 st.)", "City postcards (5)", 595, 2100, ()),
        ("Notitieboek", "Notebook", 1295, 2100, ()),
        ("Mok met stadswapen", "City arms mug", 1195, 2100, ()),
    ),
}
BELGIAN_RATE = {2100: 2100, 900: 600, 0: 0}


def _draw(colour: str, label: str) -> bytes:
    """A small square in the category's colour with a simple shape: the demo draws its photos, never downloads."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGB", (480, 480), colour)
    draw = ImageDraw.Draw(canvas)
    draw.ellipse((90, 90, 390, 390), outline="#ffffff", width=18)
    draw.rectangle((0, 400, 480, 480), fill="#ffffff")
    draw.text((24, 424), label, fill=colour)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _photos() -> dict[str, str]:
    """The file name of each category's photo, written once to storage (shared by every area and product)."""
    names = {}
    for slug, name_nl, _en, colour, _sectors in CATEGORIES:
        name = f"shop/demo/{slug}.png"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(_draw(colour, name_nl)))
        names[slug] = name
    return names


def _code(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _vat(gross: int, rate: int) -> int:
    return (gross * rate * 2 + (10_000 + rate)) // (2 * (10_000 + rate))  # half up


def _setup_area(ctx: DemoContext, area, rng: random.Random, photos: dict[str, str]):
    from parcels.models import ParcelPoint

    point = ParcelPoint.objects.filter(area=area).order_by("pk").first()
    ShopSettings.objects.update_or_create(
        area=area, defaults={"commission_bps": COMMISSION_BPS, "parcel_point": point, "is_open": True}
    )
    categories = {
        slug: Category.objects.create(area=area, slug=slug, name_nl=nl, name_en=en, position=n)
        for n, (slug, nl, en, _colour, _sectors) in enumerate(CATEGORIES)
    }
    by_sector = {sector: slug for slug, *_rest, sectors in CATEGORIES for sector in sectors}
    merchants = list(
        Merchant.objects.filter(
            pk__in=ctx.merchant_ids.get(area.slug, []), status=MerchantStatus.ACTIVE, sector__in=RETAIL_SECTORS
        ).order_by("pk")
    )
    MerchantShop.objects.bulk_create(
        [
            MerchantShop(
                merchant=m,
                is_selling=True,
                offers_click_and_collect=rng.random() < 0.8,
                stripe_account_id=f"acct_demo_{m.pk}",
                charges_enabled=True,
                payouts_enabled=True,
            )
            for m in merchants
        ]
    )
    per_merchant = PRODUCTS_PER_MERCHANT.get(ctx.size.name, 5)
    products, options = [], []
    for merchant in merchants:
        items = list(CATALOGUE[merchant.sector])
        rng.shuffle(items)
        for n, (title_nl, title_en, price, rate, sizes) in enumerate(items[:per_merchant]):
            if area.country == "BE":
                rate = BELGIAN_RATE[rate]
            product = Product(
                merchant=merchant,
                category=categories[by_sector[merchant.sector]],
                slug=f"{n + 1}-{uuid.UUID(int=rng.getrandbits(128)).hex[:6]}",
                sku=f"{merchant.pk}-{n + 1:03d}",
                title_nl=title_nl,
                title_en=title_en,
                description_nl=f"{title_nl}, bij {merchant.trade_name} in {area.name}.",
                description_en=f"{title_en}, from {merchant.trade_name} in {area.name}.",
                price_cents=price,
                vat_rate_bps=rate,
                is_active=rng.random() > 0.05,
            )
            products.append(product)
            options.append(sizes)
    Product.objects.bulk_create(products, batch_size=2000)
    variants = []
    for product, sizes in zip(products, options, strict=True):
        for position, label in enumerate(sizes or ("",)):
            variants.append(
                Variant(
                    product=product,
                    label=label,
                    sku=f"{product.sku}-{label}" if label else "",
                    stock_on_hand=rng.randint(0, 40),
                    position=position,
                )
            )
    Variant.objects.bulk_create(variants, batch_size=5000)
    slug_of = {c.pk: slug for slug, c in categories.items()}
    ProductImage.objects.bulk_create(
        [
            ProductImage(
                product=p,
                image=photos[slug_of[p.category_id]],
                alt_nl=f"Foto van {p.title_nl.lower()}",
                alt_en=f"Photo of {p.title_en.lower()}",
            )
            for p in products
        ],
        batch_size=5000,
    )
    centre, rand = _zone_postcodes(area, merchants)
    zones = [
        CourierZone(
            area=area,
            name="Centrum",
            postcodes=centre,
            fee_cents=395,
            slots=[["10:00", "12:00"], ["16:00", "18:00"]],
        ),
        CourierZone(area=area, name="Rand", postcodes=rand, fee_cents=595, slots=[["18:00", "21:00"]]),
    ]
    CourierZone.objects.bulk_create(zones)
    _boxes(area, variants, rng)
    ctx.count("shop merchants", len(merchants))
    ctx.count("shop products", len(products))
    return merchants, variants, zones


def _zone_postcodes(area, merchants) -> tuple[list[str], list[str]]:
    """The courier zones' postcodes, all of the area's country: the centre's are the merchants' (else the one
    nearest the area's centre), the edge's the next nearest within RAND_KM (`areas.geo`: Mechelen 2812, 2811, 2801…,
    Amersfoort 3814, 3817…), six at most each."""
    near = geo.postcodes_within(area.country, float(area.centre_latitude), float(area.centre_longitude), RAND_KM)
    centre = sorted({m.postcode[:4] for m in merchants if m.postcode[:4].isdigit()})[:6] or near[:1]
    return centre, [postcode for postcode in near if postcode not in centre][:6]


def _courier_address(area, zone: CourierZone, rng: random.Random) -> tuple[str, str, str]:
    """(street, postcode, town) of a courier address in the zone, the postcode in its country's form ("3811 KN",
    "2800")."""
    digits = rng.choice(zone.postcodes)
    postcode = digits
    if area.country == "NL":
        postcode = f"{digits} {rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
    place = geo.lookup(area.country, digits)
    return f"Dorpsstraat {rng.randint(1, 120)}", postcode, place.place if place else area.name


def _boxes(area, variants: list[Variant], rng: random.Random) -> None:
    plain = [v for v in variants if not v.label and v.product.is_active]
    boxes = (
        ("proef-de-stad", "Proef de stad", "Taste the town"),
        ("verwenpakket", "Verwenpakket", "Pamper box"),
        ("cadeau-van-hier", "Cadeau van hier", "A gift from here"),
    )
    for slug, nl, en in boxes:
        box = LocalBox.objects.create(
            area=area,
            slug=slug,
            title_nl=nl,
            title_en=en,
            description_nl=f"{nl}: een pakket van winkels uit de binnenstad, samengesteld door het collectief.",
            description_en=f"{en}: a box from town-centre shops, put together by the collective.",
        )
        chosen, seen = [], set()
        for variant in rng.sample(plain, min(len(plain), 12)):
            if variant.product.merchant_id not in seen:
                seen.add(variant.product.merchant_id)
                chosen.append(variant)
            if len(chosen) == 4:
                break
        LocalBoxItem.objects.bulk_create([LocalBoxItem(box=box, variant=v, quantity=1) for v in chosen])


class _Rows:
    def __init__(self):
        self.orders: list[Order] = []
        self.parts: list[tuple[Order, MerchantOrder]] = []
        self.lines: list[tuple[MerchantOrder, OrderLine]] = []
        self.refunds: list[tuple[MerchantOrder, Refund, list[tuple[OrderLine, int]]]] = []
        self.transfers: list[MerchantOrder] = []


def _orders(ctx: DemoContext, area, merchants, variants, zones, rng: random.Random) -> None:
    from django.contrib.auth import get_user_model

    if not merchants:
        return
    users = list(
        get_user_model()
        .objects.filter(pk__in=[m.user_id for m in ctx.members if m.area_slug == area.slug][:2000])
        .values_list("pk", "first_name", "last_name", "email")
    )
    sellable: dict[int, list[Variant]] = {}
    for variant in variants:
        if variant.product.is_active:
            sellable.setdefault(variant.product.merchant_id, []).append(variant)
    shops = dict(
        MerchantShop.objects.filter(merchant__in=merchants).values_list("merchant_id", "offers_click_and_collect")
    )
    merchant_ids = sorted(sellable)
    has_point = ShopSettings.objects.get(area=area).parcel_point_id is not None
    per_day = ORDERS_PER_DAY.get(ctx.size.name, 3)
    rows = _Rows()
    now = ctx.at(area, ctx.today, 11)
    for days_ago in range(HISTORY_DAYS, -1, -1):
        day = ctx.today - timedelta(days=days_ago)
        for _n in range(max(0, round(rng.gauss(per_day, per_day / 3)))):
            paid_at = ctx.at(area, day, rng.randint(7, 22), rng.randint(0, 59))
            if paid_at > now:
                continue
            user = rng.choice(users) if users and rng.random() < 0.7 else None
            name = f"{user[1]} {user[2]}".strip() if user else "Gast Klant"
            order = Order(
                area=area,
                public_id=_code(rng, PUBLIC_ID_ALPHABET, 10),
                request_key=uuid.UUID(int=rng.getrandbits(128)),
                user_id=user[0] if user else None,
                status=OrderStatus.PAID,
                name=name,
                email=user[3] if user else f"gast{rng.randint(1000, 99999)}@demo.example",
                language="nl" if rng.random() < 0.85 else "en",
                paid_at=paid_at,
            )
            order.simulated_at = paid_at - timedelta(minutes=rng.randint(1, 10))
            age = (now - paid_at).total_seconds() / 86400
            goods_total = delivery_total = 0
            statuses = []
            ride = None  # one courier address and slot per order, as the checkout asks them once
            built: list[tuple[MerchantOrder, list[OrderLine]]] = []
            for merchant_id in rng.sample(merchant_ids, min(len(merchant_ids), rng.choice((1, 1, 1, 2, 2, 3)))):
                kinds = [Fulfilment.PARCEL_POINT] * (3 if has_point else 0) + [Fulfilment.BIKE_COURIER]
                if shops.get(merchant_id):
                    kinds += [Fulfilment.CLICK_AND_COLLECT] * 2
                kind = rng.choice(kinds)
                part = MerchantOrder(
                    merchant_id=merchant_id,
                    fulfilment=kind,
                    commission_bps=COMMISSION_BPS,
                    pickup_code=_code(rng, PICKUP_ALPHABET, 6) if kind == Fulfilment.CLICK_AND_COLLECT else "",
                )
                if kind == Fulfilment.BIKE_COURIER:
                    if ride is None:
                        zone = rng.choice(zones)
                        ride = (zone, *_courier_address(area, zone, rng), rng.choice(courier_slots(zone, now=paid_at)))
                    zone, street, postcode, city, (starts_at, ends_at) = ride
                    part.courier_zone = zone
                    part.delivery_street, part.delivery_postcode, part.delivery_city = street, postcode, city
                    part.slot_starts_at, part.slot_ends_at = starts_at, ends_at
                lines = []
                for variant in rng.sample(
                    sellable[merchant_id], min(len(sellable[merchant_id]), rng.choice((1, 1, 2, 3)))
                ):
                    quantity = rng.choice((1, 1, 1, 2, 3))
                    unit = variant.unit_price_cents
                    rate = variant.product.vat_rate_bps
                    title, title_en = line_titles(variant)
                    line = OrderLine(
                        variant=variant,
                        title=title,
                        title_en=title_en,
                        quantity=quantity,
                        unit_price_cents=unit,
                        vat_rate_bps=rate,
                        gross_cents=unit * quantity,
                        vat_cents=_vat(unit * quantity, rate),
                    )
                    if age > 1 and rng.random() < UNAVAILABLE_SHARE:
                        line.unavailable_quantity = quantity
                    lines.append(line)
                part.goods_cents = sum(line.gross_cents for line in lines)
                built.append((part, lines))
            # one courier fee per ride, shared over its parts pro rata to their goods, as the checkout charges it
            share_courier_fees([part for part, _lines in built])
            for part, lines in built:
                goods_total += part.goods_cents
                delivery_total += part.delivery_cents
                unavailable = [(line, line.unavailable_quantity) for line in lines if line.unavailable_quantity]
                all_gone = len(unavailable) == len(lines)
                if all_gone:
                    part.status = MerchantOrderStatus.CANCELLED
                elif age > 4 or (age > 2 and rng.random() < 0.8):
                    part.status = MerchantOrderStatus.HANDED_OVER
                elif age > 1:
                    part.status = rng.choice((MerchantOrderStatus.ACCEPTED, MerchantOrderStatus.READY))
                else:
                    part.status = rng.choice(
                        (MerchantOrderStatus.NEW, MerchantOrderStatus.NEW, MerchantOrderStatus.ACCEPTED)
                    )
                if part.status != MerchantOrderStatus.NEW:
                    part.accepted_at = paid_at + timedelta(hours=rng.randint(1, 20))
                if part.status in (MerchantOrderStatus.READY, MerchantOrderStatus.HANDED_OVER):
                    part.ready_at = part.accepted_at + timedelta(hours=rng.randint(1, 20))
                if part.status == MerchantOrderStatus.HANDED_OVER:
                    part.handed_over_at = part.ready_at + timedelta(hours=rng.randint(1, 30))
                statuses.append(part.status)
                rows.parts.append((order, part))
                rows.lines += [(part, line) for line in lines]
                if unavailable:
                    amount = sum(line.unit_price_cents * qty for line, qty in unavailable)
                    if all_gone:
                        amount += part.delivery_cents
                    refund = Refund(
                        idempotency_key=f"unavailable:{uuid.UUID(int=rng.getrandbits(128))}",
                        amount_cents=amount,
                        card_cents=amount,
                        reason="Niet leverbaar",
                        provider_refund_id=f"re_demo_{rng.getrandbits(48):x}",
                    )
                    refund.simulated_at = part.accepted_at or paid_at
                    rows.refunds.append((part, refund, unavailable))
                if part.status == MerchantOrderStatus.HANDED_OVER:
                    rows.transfers.append(part)
            order.goods_cents, order.delivery_cents = goods_total, delivery_total
            order.total_cents = goods_total + delivery_total
            if set(statuses) <= {MerchantOrderStatus.HANDED_OVER, MerchantOrderStatus.CANCELLED}:
                order.status = (
                    OrderStatus.COMPLETED if MerchantOrderStatus.HANDED_OVER in statuses else OrderStatus.CANCELLED
                )
            elif MerchantOrderStatus.HANDED_OVER in statuses:
                order.status = OrderStatus.PARTIALLY_FULFILLED
            if order.status == OrderStatus.CANCELLED:
                order.cancelled_at = paid_at + timedelta(days=1)
            rows.orders.append(order)
    _write(rows, ctx)


def _write(rows: _Rows, ctx: DemoContext) -> None:
    from parcels.barcodes import make_webshop_code

    Order.objects.bulk_create(rows.orders, batch_size=2000)
    # created_at is auto_now_add (set on insert): the simulated times go in afterwards
    for order in rows.orders:
        order.created_at = order.simulated_at
    Order.objects.bulk_update(rows.orders, ["created_at"], batch_size=2000)
    Payment.objects.bulk_create(
        [
            Payment(
                order=order,
                intent_id=f"pi_demo_{order.public_id}",
                client_secret=f"pi_demo_{order.public_id}_secret_demo",
                charge_id=f"ch_demo_{order.public_id}",
                amount_cents=order.total_cents,
                status=PaymentStatus.SUCCEEDED,
                method_type="ideal" if n % 3 else "card",
            )
            for n, order in enumerate(rows.orders)
        ],
        batch_size=2000,
    )
    for order, part in rows.parts:
        part.order = order
    MerchantOrder.objects.bulk_create([part for _order, part in rows.parts], batch_size=2000)
    parcel_parts = [part for _o, part in rows.parts if part.fulfilment == Fulfilment.PARCEL_POINT]
    for part in parcel_parts:
        part.parcel_code = make_webshop_code(part.pk)
    MerchantOrder.objects.bulk_update(parcel_parts, ["parcel_code"], batch_size=2000)
    for part, line in rows.lines:
        line.part = part
    OrderLine.objects.bulk_create([line for _part, line in rows.lines], batch_size=5000)
    for part, refund, _lines in rows.refunds:
        refund.order_id, refund.part = part.order_id, part
    Refund.objects.bulk_create([refund for _p, refund, _l in rows.refunds], batch_size=2000)
    for _p, refund, _l in rows.refunds:
        refund.created_at = refund.simulated_at
    Refund.objects.bulk_update([refund for _p, refund, _l in rows.refunds], ["created_at"], batch_size=2000)
    RefundLine.objects.bulk_create(
        [
            RefundLine(refund=refund, line=line, quantity=quantity, amount_cents=line.unit_price_cents * quantity)
            for _p, refund, lines in rows.refunds
            for line, quantity in lines
        ],
        batch_size=5000,
    )
    refunded = {
        part.pk: (refund.amount_cents, sum(line.unit_price_cents * quantity for line, quantity in lines))
        for part, refund, lines in rows.refunds
    }
    transfers = []
    for part in rows.transfers:
        back, back_goods = refunded.get(part.pk, (0, 0))
        payout = payout_of_part(part, PartRefunds(total=back, goods=back_goods, card=back))
        if payout.due > 0:
            transfers.append(
                Transfer(
                    part=part,
                    idempotency_key=f"tr:{part.pk}",
                    amount_cents=payout.stripe,
                    collective_cents=payout.collective,
                    commission_cents=payout.commission,
                    destination=f"acct_demo_{part.merchant_id}",
                    provider_transfer_id=f"tr_demo_{part.pk}",
                )
            )
    Transfer.objects.bulk_create(transfers, batch_size=2000)
    ctx.count("shop orders", len(rows.orders))
    ctx.count("shop order parts", len(rows.parts))
    ctx.count("shop refunds", len(rows.refunds))
    ctx.count("shop transfers", len(transfers))
    _points(rows)


def _points(rows: _Rows) -> None:
    """The city pass's points on the members' orders, through the shop's own bridge as at payment and refund: each
    merchant part earns by the till's rules at its time, a refund takes its share back (and the settlement charges
    each merchant for what its sales earned)."""
    refunds: dict[int, list[Refund]] = {}
    for part, refund, _lines in rows.refunds:
        refunds.setdefault(part.order_id, []).append(refund)
    for order in sorted((order for order in rows.orders if order.user_id), key=lambda order: order.paid_at):
        if loyalty_bridge.award_points(order=order, now=order.paid_at):
            for refund in sorted(refunds.get(order.pk, ()), key=lambda refund: refund.created_at):
                loyalty_bridge.reverse_for_refund(order=order, refund=refund, now=refund.created_at)


@demo_step(order=300, name="shop.catalogue_and_orders")
def create_shop(ctx: DemoContext) -> None:
    """Per area: settings, categories, merchant shops, products with photos, local boxes, courier zones, and
    three months of orders in every state."""
    photos = _photos()
    for slug, area in ctx.areas.items():
        rng = ctx.rng(f"shop.{slug}")
        merchants, variants, zones = _setup_area(ctx, area, rng, photos)
        _orders(ctx, area, merchants, variants, zones, ctx.rng(f"shop.orders.{slug}"))


@demo_wipe(order=300, name="shop.catalogue_and_orders")
def wipe_shop(scope: WipeScope) -> None:
    """Everything of the shop in the demo areas (orders PROTECT areas and merchants), and demo people's carts."""
    in_area = Q(order__area_id__in=scope.area_ids)
    delete_many(TransferReversal.objects.filter(transfer__part__order__area_id__in=scope.area_ids))
    delete_many(Transfer.objects.filter(part__order__area_id__in=scope.area_ids))
    delete_many(RefundLine.objects.filter(refund__order__area_id__in=scope.area_ids))
    delete_many(Refund.objects.filter(in_area))
    delete_many(Notice.objects.filter(in_area))
    delete_many(Payment.objects.filter(in_area))
    delete_many(Reservation.objects.filter(in_area))
    delete_many(OrderLine.objects.filter(part__order__area_id__in=scope.area_ids))
    delete_many(MerchantOrder.objects.filter(in_area))
    delete_many(Order.objects.filter(area_id__in=scope.area_ids))
    delete_many(CartLine.objects.filter(Q(cart__area_id__in=scope.area_ids) | Q(cart__user__in=scope.users)))
    delete_many(Cart.objects.filter(Q(area_id__in=scope.area_ids) | Q(user__in=scope.users)))
    delete_many(LocalBoxItem.objects.filter(box__area_id__in=scope.area_ids))
    delete_many(LocalBox.objects.filter(area_id__in=scope.area_ids))
    delete_many(ProductImage.objects.filter(product__merchant__area_id__in=scope.area_ids))
    delete_many(Variant.objects.filter(product__merchant__area_id__in=scope.area_ids))
    delete_many(Product.objects.filter(merchant__area_id__in=scope.area_ids))
    delete_many(Category.objects.filter(area_id__in=scope.area_ids))
    delete_many(CourierZone.objects.filter(area_id__in=scope.area_ids))
    delete_many(MerchantShop.objects.filter(merchant__area_id__in=scope.area_ids))
    delete_many(ShopSettings.objects.filter(area_id__in=scope.area_ids))
