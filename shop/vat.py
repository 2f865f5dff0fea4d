"""VAT on prices entered gross (B2C): per line, per merchant receipt, in integer cents.

A line's VAT is its gross × rate ÷ (1 + rate), rounded half up. A receipt (one merchant's part) shows per rate
the gross, the net and the VAT. Rounding each line on its own lets the lines of one rate drift from the VAT of
their total by up to half a cent per line; so the lines of one rate in one part are rounded together
(`line_vat_amounts`): each line is rounded half up, and where the lines' sum differs from the rate total
rounded half up, the difference goes to the lines whose rounding was furthest off (largest remainder) — every
line's VAT is still its exact VAT rounded down or up, and the lines add up to the receipt to the cent.

Delivery (the bike courier's fee, or a part's share of it) is a secondary service of the goods it brings, in NL
and BE alike: it carries their VAT rate, and over a part with goods at several rates it is split in proportion to
those goods, per rate, to the cent (`delivery_rows`) — the rule the merchant's statement uses too
(`shop.services.statements`). A part's receipt (`vat_summary(lines, delivery_cents=…)`) therefore states the VAT
of everything the part charges. The delivery's rows are derived from the frozen lines and the part's
`delivery_cents`, so they need no column of their own.

Rates are basis points (2100 = 21 %).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction


def exact_vat(gross_cents: int, rate_bps: int) -> Fraction:
    return Fraction(gross_cents * rate_bps, 10_000 + rate_bps)


def round_half_up(value: Fraction) -> int:
    """Half up (away from zero for the non-negative amounts used here): 0.5 → 1, 2.5 → 3."""
    return int((value + Fraction(1, 2)) // 1)


def vat_of(gross_cents: int, rate_bps: int) -> int:
    """The VAT in a gross amount at one rate, rounded half up."""
    return round_half_up(exact_vat(gross_cents, rate_bps))


def line_vat_amounts(lines: list[tuple[int, int]]) -> list[int]:
    """VAT per line for (gross cents, rate bps) pairs of one receipt, in the same order (see the module doc)."""
    result = [vat_of(gross, rate) for gross, rate in lines]
    by_rate: dict[int, list[int]] = defaultdict(list)
    for index, (_gross, rate) in enumerate(lines):
        by_rate[rate].append(index)
    for rate, indexes in by_rate.items():
        target = vat_of(sum(lines[i][0] for i in indexes), rate)
        diff = target - sum(result[i] for i in indexes)
        if not diff:
            continue
        # remainder = exact − rounded: positive where the line was rounded down
        remainders = {i: exact_vat(lines[i][0], rate) - result[i] for i in indexes}
        step = 1 if diff > 0 else -1
        order = sorted(indexes, key=lambda i: (-remainders[i] * step, i))
        for i in order[: abs(diff)]:
            result[i] += step
    return result


@dataclass(frozen=True)
class VatRow:
    """One rate of a receipt: gross, VAT and net in cents."""

    rate_bps: int
    gross_cents: int
    vat_cents: int

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.vat_cents

    @property
    def rate_percent(self) -> str:
        whole, rest = divmod(self.rate_bps, 100)
        return f"{whole}" if not rest else f"{whole},{rest:02d}".rstrip("0")


def delivery_rows(lines: Iterable, delivery_cents: int) -> list[VatRow]:
    """The delivery fee's VAT per rate: the fee over the rates of the goods (`lines`, anything with gross_cents and
    vat_rate_bps) pro rata to their gross (largest remainder, ties to the higher rate), each share's VAT rounded
    half up. Without goods there is nothing to follow: no rows."""
    from .services.money import share_pro_rata

    weights: dict[int, int] = defaultdict(int)
    for line in lines:
        weights[line.vat_rate_bps] += line.gross_cents
    rates = sorted(weights, reverse=True)
    shares = share_pro_rata(delivery_cents, [weights[rate] for rate in rates])
    return [VatRow(rate, share, vat_of(share, rate)) for rate, share in zip(rates, shares, strict=True) if share]


def vat_summary(lines: Iterable, *, delivery_cents: int = 0) -> list[VatRow]:
    """Per rate (highest first): the sums of the lines' gross and VAT, and of the delivery fee's when given
    (`delivery_rows`). `lines` are OrderLines (or anything with gross_cents, vat_cents and vat_rate_bps); lines
    marked unavailable count only for what was delivered is a refund's business, not the receipt's: the receipt is
    what was bought."""
    lines = list(lines)
    gross: dict[int, int] = defaultdict(int)
    vat: dict[int, int] = defaultdict(int)
    for line in lines:
        gross[line.vat_rate_bps] += line.gross_cents
        vat[line.vat_rate_bps] += line.vat_cents
    for row in delivery_rows(lines, delivery_cents) if delivery_cents else ():
        gross[row.rate_bps] += row.gross_cents
        vat[row.rate_bps] += row.vat_cents
    return [VatRow(rate, gross[rate], vat[rate]) for rate in sorted(gross, reverse=True)]
