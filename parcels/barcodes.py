"""Which carrier a scanned parcel barcode belongs to, the tracking number inside it, and Code 128 labels.

Pure functions, no database: the parcel services call `recognise()` at intake with the point's enabled
carriers and its learned customer-code table. The rules, their sources and how sure each one is are in
`../shared/research/parcels.md` §3 ("the research" below). Formats with a check digit are tried first, then
prefixes, then bare formats (§3 "Detection order"): a number proven by neither a check digit nor a unique
prefix is only ever a candidate for staff to confirm.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

CARRIERS: tuple[str, ...] = ("postnl", "dhl", "dpd", "gls", "ups", "bpost", "amazon", "webshop")

# Recognition.reason: machine codes, translated by the desk.
CHECK_DIGIT = "check_digit"
PREFIX = "prefix"
LEARNED = "learned"
AMBIGUOUS = "ambiguous"
UNKNOWN = "unknown"
INVALID_CHECK_DIGIT = "invalid_check_digit"
NOT_ENABLED = "not_enabled"  # the code is recognised, but none of its carriers is enabled at this point

_FORMAT = "format"  # only the shape fits: a candidate for staff to confirm (§3: bare formats need a confirmation)
_RANK = {CHECK_DIGIT: 0, PREFIX: 1, _FORMAT: 2}


@dataclass(frozen=True)
class Recognition:
    raw: str  # what the scanner sent
    code: str  # the normalised tracking number
    candidates: tuple[str, ...]  # carriers that fit, best first; limited to the enabled ones
    is_certain: bool  # exactly one carrier, proven by a check digit, a unique prefix or a learned customer code
    reason: str  # one of the machine codes above


@dataclass(frozen=True)
class _Fit:
    carriers: tuple[str, ...]
    code: str
    evidence: str  # CHECK_DIGIT, PREFIX, _FORMAT or INVALID_CHECK_DIGIT


# --- Check digits --------------------------------------------------------------------------------------------


def luhn_check_digit(digits: str) -> str:
    """The digit that makes `digits + digit` pass the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)  # it will sit second from the right
        total += value - 9 if value > 9 else value
    return str(-total % 10)


def gs1_check_digit(digits: str) -> str:
    """GS1 mod 10 (SSCC, GTIN): weights 3, 1, 3, … from the right."""
    total = sum(int(char) * (3 if index % 2 == 0 else 1) for index, char in enumerate(reversed(digits)))
    return str(-total % 10)


def s10_check_digit(serial: str) -> str:
    """UPU S10 over the 8-digit serial (§3, tested against the published numbers)."""
    weighted = sum(int(char) * weight for char, weight in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    remainder = 11 - weighted % 11
    return {10: "0", 11: "5"}.get(remainder, str(remainder))


def ups_check_digit(serial: str) -> str:
    """UPS mod 10 over the 15 characters after "1Z": letters count (ord − 63) mod 10, every second one doubled
    (§3; this variant is the one the published numbers pass)."""
    total = 0
    for index, char in enumerate(serial):
        value = int(char) if char.isdigit() else (ord(char) - 63) % 10
        total += value * 2 if index % 2 == 1 else value
    return str(-total % 10)


def dhl_express_check_digit(digits: str) -> str:
    """DHL Express air waybill: the number before the check digit, mod 7 (§3, tested)."""
    return str(int(digits) % 7)


def gls_check_digit(digits: str) -> str:
    """GLS: weights 3, 1, 3, … from the left, c = 10 − ((Σ + 1) mod 10), 10 → 0. Not verified: the research
    has it from a third-party implementation and no official test numbers (§3, §7)."""
    total = sum(int(char) * (3 if index % 2 == 0 else 1) for index, char in enumerate(digits))
    return str((10 - (total + 1) % 10) % 10)


_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def iso7064_mod37_36_check_char(text: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid system), over digits and upper-case letters."""
    product = 36
    for char in text:
        total = (product + _ALPHANUMERIC.index(char)) % 36 or 36
        product = total * 2 % 37
    return _ALPHANUMERIC[(37 - product) % 36]


# --- Carrier rules -------------------------------------------------------------------------------------------
# One function per format: it gets the cleaned scan and returns what fits, or None.

_DPD_LABEL = re.compile(r"(\d{7})(\d{14})(\d{3})(\d{3})([0-9A-Z])", re.ASCII)
_UPS = re.compile(r"1Z([0-9A-Z]{15})([0-9])", re.ASCII)
_S10 = re.compile(r"([A-Z]{2})(\d{8})(\d)([A-Z]{2})", re.ASCII)
_WEBSHOP = re.compile(r"AG(\d{10})(\d)", re.ASCII)
_SSCC = re.compile(r"(00)?(\d{17})(\d)", re.ASCII)
_DHL_EXPRESS = re.compile(r"(\d{9,10})(\d)", re.ASCII)
_GLS = re.compile(r"(\d{11})(\d)?", re.ASCII)
_THREE_S = re.compile(r"3S([A-Z]{1,4})\d+", re.ASCII)
_DHL_PREFIXED = re.compile(r"JVGL[0-9A-Z]{8,30}|JJD\d{9,25}", re.ASCII)
_DHL_MDP = re.compile(r"MDP[0-9A-Z]{5,15}", re.ASCII)
_AMAZON = re.compile(r"TBA\d{12}", re.ASCII)
_AMAZON_ELSEWHERE = re.compile(r"TB[CM]\d{12}", re.ASCII)
_DPD_PARCEL = re.compile(r"(\d{14})[0-9A-Z]?", re.ASCII)
_BPOST_DOMESTIC = re.compile(r"32\d{22}", re.ASCII)

# Inbound international post is delivered by the destination's postal operator (PostNL in NL, bpost in BE);
# the research ties only the NL and BE suffixes to a carrier.
_S10_COUNTRY_CARRIERS = {"NL": ("postnl",), "BE": ("bpost",)}
_S10_FOREIGN_CARRIERS = ("postnl", "bpost")
# The research names no carrier for SSCC labels: any carrier may print one, so staff answer once per issuer.
_SSCC_CARRIERS = tuple(carrier for carrier in CARRIERS if carrier != "webshop")


def _dpd_label(text: str) -> _Fit | None:
    """DPD's 28-character label barcode: dest. postcode, the 14-digit parcel number, service, country, check
    (§3, tested; "%" was dropped by _clean)."""
    if not (match := _DPD_LABEL.fullmatch(text)):
        return None
    if iso7064_mod37_36_check_char(text[:27]) != match[5]:
        return _Fit(("dpd",), text, INVALID_CHECK_DIGIT)
    return _Fit(("dpd",), match[2], CHECK_DIGIT)


def _ups(text: str) -> _Fit | None:
    if not (match := _UPS.fullmatch(text)):
        return None
    evidence = CHECK_DIGIT if ups_check_digit(match[1]) == match[2] else INVALID_CHECK_DIGIT
    return _Fit(("ups",), text, evidence)


def _s10(text: str) -> _Fit | None:
    if not (match := _S10.fullmatch(text)):
        return None
    carriers = _S10_COUNTRY_CARRIERS.get(match[4], _S10_FOREIGN_CARRIERS)
    evidence = CHECK_DIGIT if s10_check_digit(match[2]) == match[3] else INVALID_CHECK_DIGIT
    return _Fit(carriers, text, evidence)


def _webshop(text: str) -> _Fit | None:
    """Our own codes (make_webshop_code): "AG", 10 digits, a Luhn check digit."""
    if not (match := _WEBSHOP.fullmatch(text)):
        return None
    evidence = CHECK_DIGIT if luhn_check_digit(match[1]) == match[2] else INVALID_CHECK_DIGIT
    return _Fit(("webshop",), text, evidence)


def _sscc(text: str) -> _Fit | None:
    """GS1 SSCC-18, bare or behind its application identifier "00"."""
    if not (match := _SSCC.fullmatch(text)):
        return None
    sscc = match[2] + match[3]
    if gs1_check_digit(match[2]) == match[3]:
        return _Fit(_SSCC_CARRIERS, sscc, CHECK_DIGIT)
    # Only the "00" form says "this is an SSCC"; 18 bare digits failing the check are just some other number.
    return _Fit((), text, INVALID_CHECK_DIGIT) if match[1] else None


def _dhl_express(text: str) -> _Fit | None:
    """10 or 11 digits with a mod-7 check. Bare digits collide with other numbers, so a failing check means
    "not this format" rather than a misread (§3: accept only if the check passes)."""
    match = _DHL_EXPRESS.fullmatch(text)
    if match and dhl_express_check_digit(match[1]) == match[2]:
        return _Fit(("dhl",), text, CHECK_DIGIT)
    return None


def _gls(text: str) -> _Fit | None:
    """11 digits, or 12 with the check digit. The algorithm is unverified (see gls_check_digit), so it may
    prove a 12-digit number but never rejects one."""
    if not (match := _GLS.fullmatch(text)):
        return None
    if match[2] is not None and gls_check_digit(match[1]) == match[2]:
        return _Fit(("gls",), text, CHECK_DIGIT)
    return _Fit(("gls",), text, _FORMAT)


def _three_s(text: str) -> _Fit | None:
    """PostNL's domestic "3S" codes: 1–4 letters of customer code, always 13 or 15 characters, no check digit.
    DHL eCommerce NL prints 3S codes too (example 3SPET9596258883, with 10 digits, so the digit count is left
    open), hence both carriers until the customer code is learned (§3)."""
    if len(text) in (13, 15) and _THREE_S.fullmatch(text):
        return _Fit(("postnl", "dhl"), text, PREFIX)
    return None


def _dhl_prefixed(text: str) -> _Fit | None:
    """DHL piece ids. The lengths are heuristics (§3, §7), hence wide; Amazon NL parcels carrying them are
    delivered by DHL, so DHL is the carrier the point deals with."""
    if _DHL_PREFIXED.fullmatch(text):
        return _Fit(("dhl",), text, PREFIX)
    if _DHL_MDP.fullmatch(text):  # seen in one community project only, not in an official spec (§3)
        return _Fit(("dhl",), text, _FORMAT)
    return None


def _amazon(text: str) -> _Fit | None:
    if _AMAZON.fullmatch(text):
        return _Fit(("amazon",), text, PREFIX)
    if _AMAZON_ELSEWHERE.fullmatch(text):  # TBC (Canada), TBM (Mexico): not in the research, so only a candidate
        return _Fit(("amazon",), text, _FORMAT)
    return None


def _dpd_parcel(text: str) -> _Fit | None:
    """The bare 14-digit DPD parcel number, optionally followed by a check character whose algorithm the research
    does not give (§3): kept out of the tracking number, not checked."""
    if match := _DPD_PARCEL.fullmatch(text):
        return _Fit(("dpd",), match[1], _FORMAT)
    return None


def _bpost_domestic(text: str) -> _Fit | None:
    """bpost's domestic 24 digits starting "32": not verified (the only source's regex looks malformed, §3)."""
    if _BPOST_DOMESTIC.fullmatch(text):
        return _Fit(("bpost",), text, _FORMAT)
    return None


# Not implemented, because the research does not describe them: PostNL "KG…" forms other than S10, and the
# long PostNL/bpost sort-code barcodes (a scan of one is "unknown", so staff scan the tracking barcode instead).
_RULES: tuple[Callable[[str], _Fit | None], ...] = (
    _dpd_label,
    _ups,
    _s10,
    _webshop,
    _sscc,
    _dhl_express,
    _gls,
    _three_s,
    _dhl_prefixed,
    _amazon,
    _dpd_parcel,
    _bpost_domestic,
)


# --- Normalising and recognising -----------------------------------------------------------------------------

# In front of the data a scanner may send an AIM symbology identifier ("]C1" GS1-128, "]C0" Code 128, "]D2" GS1
# DataMatrix, …; compared upper-cased); DPD's labels start with "%" (§3 scanning notes).
_LEADING_NOISE = re.compile(r"\][A-Z][0-9A-Z]|%", re.ASCII)
_GS1_SYMBOLOGIES = frozenset({"]C1", "]E0", "]D2", "]Q3", "]J1"})
_GROUP_SEPARATOR = "\x1d"  # what FNC1 between GS1 element strings arrives as
_SSCC_ELEMENT = re.compile(r"00\d{18}", re.ASCII)


def _clean(raw: str) -> str:
    """The scan without scanner noise (control characters, spaces, lower case, leading symbology identifiers and
    "%"); a GS1 element string starting with AI 00 reduced to that SSCC element."""
    raw = raw or ""
    is_gs1 = _GROUP_SEPARATOR in raw
    text = "".join(char for char in raw if not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf"))
    text = text.upper()
    while match := _LEADING_NOISE.match(text):  # repeated, so that cleaning a cleaned scan changes nothing
        is_gs1 = is_gs1 or match[0] in _GS1_SYMBOLOGIES
        text = text[match.end() :]
    if text.startswith("(00)"):  # the human-readable GS1 form, typed from the label
        text, is_gs1 = "00" + text[4:], True
    # AI 00 has a fixed length, so anything after its 18 digits is further element strings (postcode, …).
    if is_gs1 and (match := _SSCC_ELEMENT.match(text)):
        text = match[0]
    return text


def _fits(text: str) -> list[_Fit]:
    return [fit for rule in _RULES if (fit := rule(text)) is not None]


def _best_valid(fits: list[_Fit]) -> list[_Fit]:
    return sorted((fit for fit in fits if fit.evidence != INVALID_CHECK_DIGIT), key=lambda fit: _RANK[fit.evidence])


def normalise(raw: str) -> str:
    """The tracking number in a scan, as `recognise()` stores it (the cleaned scan when no format fits).
    Idempotent."""
    text = _clean(raw)
    fits = _fits(text)
    valid = _best_valid(fits)
    return valid[0].code if valid else fits[0].code if fits else text


def recognise(
    raw: str, *, enabled: Collection[str] | None = None, learned: Mapping[str, str] | None = None
) -> Recognition:
    """Carrier from a scanned barcode: check digits first, then prefixes/format; an ambiguous code
    (e.g. PostNL/DHL "3S…" customer codes) is settled by `learned` (a mapping of code prefix -> carrier
    that the desk learns when staff answer the question once), else returned with several candidates.

    `enabled` only narrows the candidates, it never makes an answer certain: a point that works with one carrier
    still receives other carriers' parcels by mistake.
    """
    text = _clean(raw)
    fits = _fits(text)
    valid = _best_valid(fits)
    if not valid:
        if fits:
            return Recognition(raw, fits[0].code, (), False, INVALID_CHECK_DIGIT)
        return Recognition(raw, text, (), False, UNKNOWN)
    best = valid[0]
    carriers = tuple(dict.fromkeys(carrier for fit in valid for carrier in fit.carriers))
    allowed = tuple(carrier for carrier in carriers if enabled is None or carrier in enabled)
    if not allowed:
        return Recognition(raw, best.code, (), False, NOT_ENABLED)
    if len(carriers) == 1 and best.evidence in (CHECK_DIGIT, PREFIX):
        return Recognition(raw, best.code, allowed, True, best.evidence)
    key = learned_key(best.code)
    if key and learned and (carrier := learned.get(key)) in allowed:
        return Recognition(raw, best.code, (carrier,), True, LEARNED)
    return Recognition(raw, best.code, allowed, False, AMBIGUOUS)


# What each carrier's codes may look like, loosely: the formats above with their lengths left open, and the forms
# the research names but does not describe (PostNL "KG…", GLS's 8-character TrackID, bpost's long numbers). An
# uncertain scan is offered only to the carriers whose shape it has, and never to the webshop: its codes are ours
# and strict (`_webshop`), so a code that is not one is not the webshop's.
_LOOSE_SHAPES: dict[str, re.Pattern] = {
    "postnl": re.compile(r"3S[0-9A-Z]{9,15}|[A-Z]{2}\d{9}[A-Z]{2}|KG[0-9A-Z]{9,30}", re.ASCII),
    "dhl": re.compile(r"3S[0-9A-Z]{9,15}|(JVGL|JJD|JD|MDP)[0-9A-Z]{5,35}|\d{9,12}", re.ASCII),
    "dpd": re.compile(r"\d{13,15}[0-9A-Z]?|\d{26,28}[0-9A-Z]?", re.ASCII),
    "gls": re.compile(r"\d{10,13}|[0-9A-Z]{8}", re.ASCII),
    "ups": re.compile(r"1Z[0-9A-Z]{14,18}", re.ASCII),
    "bpost": re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}|\d{20,26}", re.ASCII),
    "amazon": re.compile(r"T[A-Z]{2}\d{10,14}", re.ASCII),
}


def possible_carriers(raw: str) -> tuple[str, ...]:
    """The carriers a scan could be from, for the desk's "which carrier?" when `recognise` is not certain: those of
    the formats it fits (also with a wrong check digit: a misread of such a code), then those whose codes have
    its shape. Empty: no carrier's code looks like this (a slot label, an order number, a joined double scan). A
    webshop code with a wrong check digit is a misread for certain (the codes are ours): never the webshop's."""
    text = _clean(raw)
    fits = _fits(text)
    fitting = [c for fit in fits for c in fit.carriers if c != "webshop" or fit.evidence != INVALID_CHECK_DIGIT]
    shaped = [carrier for carrier, shape in _LOOSE_SHAPES.items() if shape.fullmatch(text)]
    return tuple(dict.fromkeys([*fitting, *shaped]))


# The extension digit and the shortest GS1 company prefix (7 digits). That one issuer's SSCCs travel with one
# carrier is an assumption (the research says nothing about SSCC): where it fails, a learned answer is wrong for
# some parcels, so the desk must let staff change the carrier of a "learned" recognition.
_SSCC_ISSUER_LENGTH = 8


def learned_key(code: str) -> str:
    """The prefix the desk stores after staff answer "which carrier?": "3S" and the customer code of a 3S code
    ("3SABCD"), the issuer part of an SSCC; "" when the answer says nothing about other codes."""
    code = normalise(code)
    if match := _THREE_S.fullmatch(code):
        return "3S" + match[1]
    if len(code) == 18 and (fit := _sscc(code)) and fit.evidence == CHECK_DIGIT:
        return code[:_SSCC_ISSUER_LENGTH]
    return ""


def is_valid(carrier: str, code: str) -> bool:
    """Whether `code` (raw or normalised) can be a tracking number of `carrier`."""
    if carrier not in CARRIERS:
        raise ValueError(f"unknown carrier {carrier!r}")
    return carrier in recognise(code).candidates


_WEBSHOP_DIGITS = 10


def make_webshop_code(number: int) -> str:
    """The tracking code of the area webshop's shipment `number` (0 ≤ number < 10¹⁰): "AG", the number in 10
    digits, a Luhn check digit. The same in every area; the parcel row says which area it belongs to."""
    if not 0 <= number < 10**_WEBSHOP_DIGITS:
        raise ValueError(f"webshop shipment number out of range: {number}")
    digits = f"{number:0{_WEBSHOP_DIGITS}d}"
    return f"AG{digits}{luhn_check_digit(digits)}"


# --- Code 128 ------------------------------------------------------------------------------------------------
# Bar and space widths (in modules) of symbol values 0–106, from the Code 128 specification (ISO/IEC 15417).
# fmt: off
_CODE128_PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
    "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
    "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
    "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
    "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
    "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
    "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)
# fmt: on
_START_B, _START_C, _CODE_B, _CODE_C, _STOP = 104, 105, 100, 99, 106
_QUIET_ZONE = 10  # modules of white either side, as the specification asks


def _digit_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in "0123456789":
        end += 1
    return end - start


def code128_symbols(text: str) -> list[int]:
    """The symbol values of `text` in Code 128 (subset B, subset C for runs of digits), with start, check and
    stop symbols. Raises ValueError for characters outside printable ASCII."""
    if not text or any(not " " <= char <= "~" for char in text):
        raise ValueError("Code 128 subset B encodes printable ASCII only")
    values: list[int] = []
    subset = ""

    def switch_to(wanted: str) -> None:
        nonlocal subset
        if subset != wanted:
            if subset:
                values.append(_CODE_B if wanted == "B" else _CODE_C)
            else:
                values.append(_START_B if wanted == "B" else _START_C)
            subset = wanted

    index = 0
    while index < len(text):
        run = _digit_run(text, index)
        # Subset C packs two digits per symbol; switching costs a symbol, so only longer runs pay.
        if run >= (4 if index == 0 or index + run == len(text) else 6):
            if run % 2:
                switch_to("B")
                values.append(ord(text[index]) - 32)
                index, run = index + 1, run - 1
            switch_to("C")
            values.extend(int(text[i : i + 2]) for i in range(index, index + run, 2))
            index += run
        else:
            switch_to("B")
            values.append(ord(text[index]) - 32)
            index += 1
    check = (values[0] + sum(position * value for position, value in enumerate(values[1:], start=1))) % 103
    return [*values, check, _STOP]


def code128_svg(text: str, *, height: int = 60) -> str:
    """`text` as a Code 128 barcode in an inline SVG element, the text beneath it, for shelf-slot labels and
    pickup receipts. One unit is one module; `height` is the bars' height in modules (scale with CSS)."""
    x = _QUIET_ZONE
    bars = []
    for value in code128_symbols(text):
        for position, width in enumerate(int(char) for char in _CODE128_PATTERNS[value]):
            if position % 2 == 0:  # patterns alternate bar, space, bar, … starting with a bar
                bars.append(f"M{x} 0h{width}v{height}h-{width}z")
            x += width
    width = x + _QUIET_ZONE
    font_size = 10
    total_height = height + font_size + 4
    label = escape(text, {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total_height}" width="{width}" '
        f'height="{total_height}" role="img" aria-label="{label}">'
        f'<rect width="{width}" height="{total_height}" fill="#fff"/>'
        f'<path d="{"".join(bars)}" fill="#000" shape-rendering="crispEdges"/>'
        f'<text x="{width / 2:g}" y="{total_height - 2}" text-anchor="middle" font-family="monospace" '
        f'font-size="{font_size}">{label}</text></svg>'
    )
