"""Carrier recognition from scanned barcodes (research/parcels.md §3) and the Code 128 labels."""

import string
import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcels.barcodes import (
    CARRIERS,
    Recognition,
    code128_svg,
    code128_symbols,
    dhl_express_check_digit,
    gls_check_digit,
    gs1_check_digit,
    is_valid,
    iso7064_mod37_36_check_char,
    learned_key,
    luhn_check_digit,
    make_webshop_code,
    normalise,
    recognise,
    s10_check_digit,
    ups_check_digit,
)

# Published test numbers, valid then invalid (research §3, from jkeen/tracking_number_data).
UPS_VALID = ["1Z5R89390357567127", "1Z879E930346834440", "1Z410E7W0392751591", "1Z8V92A70367203024"]
DHL_EXPRESS_VALID_10 = ["3318810025", "8487135506", "1099255990", "3821724944"]
DHL_EXPRESS_VALID_11 = "73891051146"
DHL_EXPRESS_INVALID = ["3318810010", "3318810034", "3318810011"]
DPD_LABELS_VALID = [
    ("00 81827 0998 0000 0200 33 350 276 C", "09980000020033"),
    ("0081 827 0998 0000 0200 45 327 276 N", "09980000020045"),
]
DPD_LABEL_INVALID = "008182709980000020033350276A"
# Examples quoted by the research: PostNL's SDK documentation and DHL eCommerce NL's track-and-trace example.
POSTNL_3S = "3SDEVC172649258"
DHL_3S = "3SPET9596258883"
SSCC = "376104250021234569"  # GS1's example SSCC


def certain(carrier: str, code: str, reason: str) -> tuple:
    return ((carrier,), True, reason, code)


def summary(recognition: Recognition) -> tuple:
    return (recognition.candidates, recognition.is_certain, recognition.reason, recognition.code)


# --- Each carrier ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", UPS_VALID)
def test_ups_published_numbers_are_certain_by_check_digit(number):
    assert summary(recognise(number)) == certain("ups", number, "check_digit")
    assert is_valid("ups", number)


def test_ups_with_a_wrong_check_digit_is_refused():
    assert summary(recognise("1Z1111111111111111")) == ((), False, "invalid_check_digit", "1Z1111111111111111")
    assert summary(recognise("1Z5R89390357567128"))[2] == "invalid_check_digit"  # last digit changed
    assert not is_valid("ups", "1Z1111111111111111")


def test_ups_needs_its_1z_prefix():
    assert recognise("2Z5R89390357567127").reason == "unknown"


@pytest.mark.parametrize("number", DHL_EXPRESS_VALID_10)
def test_dhl_express_ten_digits_are_certain_by_mod_7(number):
    assert summary(recognise(number)) == certain("dhl", number, "check_digit")


def test_dhl_express_eleven_digits_may_also_be_a_gls_number_without_its_check_digit():
    recognition = recognise(DHL_EXPRESS_VALID_11)
    assert (recognition.candidates, recognition.is_certain, recognition.reason) == (("dhl", "gls"), False, "ambiguous")
    assert is_valid("dhl", DHL_EXPRESS_VALID_11)


@pytest.mark.parametrize("number", DHL_EXPRESS_INVALID)
def test_bare_digits_failing_mod_7_are_not_a_dhl_number(number):
    # §3: bare numbers collide with other barcodes on the label, so a failing check says "something else".
    assert summary(recognise(number)) == ((), False, "unknown", number)
    assert not is_valid("dhl", number)


@pytest.mark.parametrize(("scan", "parcel_number"), DPD_LABELS_VALID)
def test_dpd_28_character_label_gives_the_14_digit_parcel_number(scan, parcel_number):
    assert summary(recognise(scan)) == certain("dpd", parcel_number, "check_digit")
    assert normalise(scan) == parcel_number


def test_dpd_label_with_a_wrong_check_character_is_refused():
    assert summary(recognise(DPD_LABEL_INVALID)) == ((), False, "invalid_check_digit", DPD_LABEL_INVALID)
    assert not is_valid("dpd", DPD_LABEL_INVALID)


def test_dpd_bare_parcel_number_is_only_a_candidate():
    assert summary(recognise("09980000020033")) == (("dpd",), False, "ambiguous", "09980000020033")
    # The optional 15th check character has no published algorithm: accepted, left out of the tracking number.
    assert recognise("09980000020033C").code == "09980000020033"


@pytest.mark.parametrize(
    ("number", "carrier"),
    [("RB123456785NL", "postnl"), ("CX123456785NL", "postnl"), ("RB123456785BE", "bpost")],
)
def test_s10_items_of_postnl_and_bpost_are_certain_by_check_digit(number, carrier):
    assert summary(recognise(number)) == certain(carrier, number, "check_digit")


@pytest.mark.parametrize("number", ["RB123456785GB", "RB123456785US"])
def test_foreign_s10_items_may_come_with_either_postal_operator(number):
    assert summary(recognise(number)) == (("postnl", "bpost"), False, "ambiguous", number)
    assert summary(recognise(number, enabled={"postnl", "dhl"})) == (("postnl",), False, "ambiguous", number)


@pytest.mark.parametrize("number", ["RB123456786US", "RB123456786NL", "RB123456784BE"])
def test_s10_with_a_wrong_check_digit_is_refused(number):
    assert summary(recognise(number)) == ((), False, "invalid_check_digit", number)


def test_gls_twelve_digits_with_check_digit_are_certain():
    number = "12345678901" + gls_check_digit("12345678901")
    assert summary(recognise(number)) == certain("gls", number, "check_digit")


def test_gls_check_digit_is_unverified_so_it_never_rejects():
    number = "12345678901" + str((int(gls_check_digit("12345678901")) + 1) % 10)
    assert summary(recognise(number)) == (("gls",), False, "ambiguous", number)
    assert summary(recognise("12345678900")) == (("gls",), False, "ambiguous", "12345678900")  # 11 digits, fails mod 7


def test_3s_codes_belong_to_postnl_or_dhl_until_learned():
    for code in (POSTNL_3S, DHL_3S):
        assert summary(recognise(code)) == (("postnl", "dhl"), False, "ambiguous", code)
        assert is_valid("postnl", code) and is_valid("dhl", code)
        assert not is_valid("ups", code)


@pytest.mark.parametrize("code", ["3SDEVC17264925", "3S172649258123", "3SABCDE12345678", "3SDEVC17264925A"])
def test_3s_codes_have_13_or_15_characters_and_1_to_4_letters(code):
    assert recognise(code).reason == "unknown"


@pytest.mark.parametrize("code", ["JJD0099999999", "JJD01234567890123456", "JVGL0999999990", "JVGL05AB12345678"])
def test_dhl_piece_ids_are_certain_by_prefix(code):
    assert summary(recognise(code)) == certain("dhl", code, "prefix")


def test_dhl_mdp_codes_are_only_a_candidate():
    assert summary(recognise("MDP12345AB")) == (("dhl",), False, "ambiguous", "MDP12345AB")


def test_amazon_tba_codes_are_certain_and_other_countries_forms_only_candidates():
    assert summary(recognise("TBA123456789012")) == certain("amazon", "TBA123456789012", "prefix")
    assert summary(recognise("TBC123456789012")) == (("amazon",), False, "ambiguous", "TBC123456789012")
    assert recognise("TBA12345678901").reason == "unknown"  # 11 digits


def test_bpost_domestic_24_digits_are_only_a_candidate():
    code = "323212345678901234567890"
    assert summary(recognise(code)) == (("bpost",), False, "ambiguous", code)


def test_webshop_codes_are_ag_ten_digits_and_a_luhn_digit():
    assert make_webshop_code(0) == "AG00000000000"
    assert make_webshop_code(1234567890) == "AG1234567890" + luhn_check_digit("1234567890")
    code = make_webshop_code(42)
    assert summary(recognise(code)) == certain("webshop", code, "check_digit")
    flipped = code[:-2] + str((int(code[-2]) + 1) % 10) + code[-1]
    assert summary(recognise(flipped)) == ((), False, "invalid_check_digit", flipped)


@pytest.mark.parametrize("number", [-1, 10**10])
def test_webshop_numbers_out_of_range_are_refused(number):
    with pytest.raises(ValueError):
        make_webshop_code(number)


def test_sscc_is_proven_by_its_check_digit_but_names_no_carrier():
    recognition = recognise("00" + SSCC)
    assert recognition.code == SSCC
    assert (recognition.is_certain, recognition.reason) == (False, "ambiguous")
    assert set(recognition.candidates) == set(CARRIERS) - {"webshop"}


def test_sscc_with_a_wrong_check_digit():
    wrong = SSCC[:-1] + "0"
    assert summary(recognise("00" + wrong)) == ((), False, "invalid_check_digit", "00" + wrong)
    assert recognise(wrong).reason == "unknown"  # 18 bare digits are no proof of an SSCC


# --- Check digit functions against known values ----------------------------------------------------------------


def test_check_digit_functions_on_known_values():
    assert s10_check_digit("12345678") == "5"
    assert ups_check_digit("5R8939035756712") == "7"
    assert dhl_express_check_digit("331881002") == "5"
    assert gs1_check_digit("37610425002123456") == "9"
    assert gs1_check_digit("629104150021") == "3"  # GS1's EAN-13 example 6291041500213
    assert luhn_check_digit("7992739871") == "3"
    assert iso7064_mod37_36_check_char("008182709980000020033350276") == "C"


# --- Scanner noise ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1Z5R89390357567127\r\n", "1Z5R89390357567127"),
        ("1z5r89390357567127", "1Z5R89390357567127"),
        ("  1Z 5R8 939 03 5756 7127\t", "1Z5R89390357567127"),
        ("]C01Z5R89390357567127", "1Z5R89390357567127"),  # Code 128 symbology identifier
        ("\x021Z5R89390357567127\x03", "1Z5R89390357567127"),  # STX/ETX framing
        ("]C100" + SSCC, SSCC),  # GS1-128 identifier and AI 00
        ("]C100" + SSCC + "4215280001\x1d", SSCC),  # further element strings after the fixed-length AI 00
        ("\x1d00" + SSCC, SSCC),  # FNC1 as a group separator
        ("00" + SSCC, SSCC),
        ("(00) " + SSCC, SSCC),  # typed from the human-readable line
        ("%008182709980000020033350276C", "09980000020033"),  # DPD's leading "%"
        ("3sdevc172649258\n", POSTNL_3S),
        ("rb 123 456 785 nl", "RB123456785NL"),
        ("\u200b" + "TBA123456789012", "TBA123456789012"),  # zero-width space from a copy-paste
    ],
)
def test_scanner_noise_is_normalised(raw, code):
    assert normalise(raw) == code
    recognition = recognise(raw)
    assert (recognition.raw, recognition.code) == (raw, code)
    assert recognition.reason != "unknown"


def test_non_ascii_digits_are_not_a_tracking_number():
    assert recognise("٣٣١٨٨١٠٠٢٥").reason == "unknown"  # 3318810025 in Arabic-Indic digits


@pytest.mark.parametrize("raw", ["", "   \r\n", "HELLO", "1234", "AGORA1:123456789015:042917"])
def test_unknown_codes_have_no_candidates(raw):
    recognition = recognise(raw)
    assert (recognition.candidates, recognition.is_certain, recognition.reason) == ((), False, "unknown")


# --- Learned customer codes and enabled carriers ---------------------------------------------------------------


def test_learned_key_is_the_customer_code_part_of_a_3s_code():
    assert learned_key(POSTNL_3S) == "3SDEVC"
    assert learned_key(" 3sdevc172649258\r\n") == "3SDEVC"
    assert learned_key(DHL_3S) == "3SPET"
    assert learned_key("00" + SSCC) == "37610425"  # extension digit and the shortest GS1 company prefix
    assert learned_key(UPS_VALID[0]) == ""  # nothing to learn from a certain code


def test_learned_customer_codes_settle_3s_codes():
    learned = {"3SDEVC": "postnl", "3SPET": "dhl"}
    assert summary(recognise(POSTNL_3S, learned=learned)) == certain("postnl", POSTNL_3S, "learned")
    assert summary(recognise(DHL_3S, learned=learned)) == certain("dhl", DHL_3S, "learned")
    assert recognise("3SXYZW123456789", learned=learned).reason == "ambiguous"  # another customer code


def test_learned_issuer_settles_an_sscc():
    assert summary(recognise("]C100" + SSCC, learned={"37610425": "gls"})) == certain("gls", SSCC, "learned")


def test_learned_answers_that_do_not_fit_are_ignored():
    assert recognise(POSTNL_3S, learned={"3SDEVC": "ups"}).reason == "ambiguous"  # UPS never prints 3S codes
    assert recognise(POSTNL_3S, enabled={"dhl"}, learned={"3SDEVC": "postnl"}).candidates == ("dhl",)
    # A learned answer never overrides a check digit.
    assert summary(recognise(UPS_VALID[0], learned={"1Z5R": "dhl"})) == certain("ups", UPS_VALID[0], "check_digit")


def test_enabled_limits_the_candidates_but_never_makes_them_certain():
    assert summary(recognise(POSTNL_3S, enabled={"postnl", "gls"})) == (("postnl",), False, "ambiguous", POSTNL_3S)
    assert recognise(UPS_VALID[0], enabled=CARRIERS).is_certain


def test_a_recognised_code_of_a_carrier_not_enabled_here():
    assert summary(recognise(UPS_VALID[0], enabled={"postnl", "dhl"})) == ((), False, "not_enabled", UPS_VALID[0])


def test_is_valid_refuses_an_unknown_carrier():
    with pytest.raises(ValueError):
        is_valid("fedex", "123456789012")


# --- Properties ------------------------------------------------------------------------------------------------

DIGITS = string.digits
ALPHANUMERIC = string.digits + string.ascii_uppercase


def digits(length: int) -> st.SearchStrategy[str]:
    return st.text(DIGITS, min_size=length, max_size=length)


def _ups(serial: str) -> str:
    return "1Z" + serial + ups_check_digit(serial)


def _s10(args: tuple[str, str, str]) -> str:
    service, serial, country = args
    return service + serial + s10_check_digit(serial) + country


def _dpd_label(payload: str) -> str:
    return payload + iso7064_mod37_36_check_char(payload)


# (carrier, strategy of valid numbers, does its check catch every single-character substitution?)
# UPS doubles without adding digits (a doubled digit ± 5 passes), S10 maps two remainders to "5", and mod 7 misses
# a digit ± 7: for those only a changed check digit is always caught.
CHECKED_FORMATS = [
    ("ups", st.text(ALPHANUMERIC, min_size=15, max_size=15).map(_ups), False),
    (
        "postnl",
        st.tuples(st.text(string.ascii_uppercase, min_size=2, max_size=2), digits(8), st.just("NL")).map(_s10),
        False,
    ),
    (
        "bpost",
        st.tuples(st.text(string.ascii_uppercase, min_size=2, max_size=2), digits(8), st.just("BE")).map(_s10),
        False,
    ),
    ("dhl", digits(9).map(lambda payload: payload + dhl_express_check_digit(payload)), False),
    ("dpd", digits(27).map(_dpd_label), True),
    ("gls", digits(11).map(lambda payload: payload + gls_check_digit(payload)), True),
    ("webshop", st.integers(0, 10**10 - 1).map(make_webshop_code), True),
]


def _substitutions(code: str, *, only_last: bool):
    positions = [len(code) - 1] if only_last else range(len(code))
    for position in positions:
        if code[position].isdigit():
            for digit in DIGITS.replace(code[position], ""):
                yield code[:position] + digit + code[position + 1 :]


@pytest.mark.parametrize(
    ("carrier", "numbers", "catches_every_digit"), CHECKED_FORMATS, ids=[row[0] for row in CHECKED_FORMATS]
)
@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data())
def test_valid_numbers_are_found_and_changed_digits_never_pass_as_certain(carrier, numbers, catches_every_digit, data):
    code = data.draw(numbers)
    recognition = recognise(code)
    assert summary(recognition)[:3] == ((carrier,), True, "check_digit")
    for changed in _substitutions(code, only_last=not catches_every_digit):
        again = recognise(changed)
        assert not (again.is_certain and again.candidates == (carrier,)), changed


@settings(max_examples=150, deadline=None, database=None)
@given(serial=digits(17))
def test_any_changed_digit_of_an_sscc_is_refused(serial):
    code = "00" + serial + gs1_check_digit(serial)
    assert recognise(code).reason == "ambiguous"
    for changed in _substitutions(code, only_last=False):
        if changed.startswith("00"):
            assert recognise(changed).reason == "invalid_check_digit", changed


@settings(max_examples=500, deadline=None, database=None)
@given(raw=st.text() | st.text(ALPHANUMERIC + " %]\x1d\r\n()", max_size=40))
def test_normalise_is_idempotent_and_recognise_never_fails(raw):
    code = normalise(raw)
    assert normalise(code) == code
    recognition = recognise(raw, enabled=("postnl", "dhl"), learned={learned_key(raw): "dhl"})
    assert recognition.code == code
    assert set(recognition.candidates) <= {"postnl", "dhl"}
    assert recognition.is_certain == (len(recognition.candidates) == 1 and recognition.reason != "ambiguous")


# --- Code 128 --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "symbols"),
    [
        ("PJJ123C", [104, 48, 42, 42, 17, 18, 19, 35, 55, 106]),  # subset B throughout; check 879 mod 103 = 55
        ("12345678", [105, 12, 34, 56, 78, 47, 106]),  # subset C throughout
        ("A-01", [104, 33, 13, 16, 17, 73, 106]),  # a short digit run stays in subset B
        # A run of 10 digits at the end: one digit in B, then "Code C" (99) for the even rest.
        ("AG12345678901", [104, 33, 39, 17, 99, 23, 45, 67, 89, 1, 74, 106]),
    ],
)
def test_code128_symbols_and_check_character(text, symbols):
    assert code128_symbols(text) == symbols


def test_code128_pattern_table_matches_an_independent_implementation():
    from reportlab.graphics.barcode import code128 as reference  # an existing dependency, used here as an oracle

    from parcels.barcodes import _CODE128_PATTERNS

    letters = {"a": "1", "b": "2", "c": "3", "d": "4"}
    expected = ["".join(letters[char.lower()] for char in reference._patterns[value]) for value in range(107)]
    assert list(_CODE128_PATTERNS) == expected


@pytest.mark.parametrize("text", ["PJJ123C", "12345678", "AG12345678901", "Z1-S04", "12345"])
def test_code128_check_character_agrees_with_an_independent_implementation(text):
    from reportlab.graphics.barcode.code128 import Code128

    reference = Code128(text)
    reference.validate()
    reference.encode()
    # The two may choose subsets differently, but both must end with a check character that fits their symbols.
    for symbols in (code128_symbols(text), reference.encoded):
        weighted = symbols[0] + sum(position * value for position, value in enumerate(symbols[1:-2], start=1))
        assert weighted % 103 == symbols[-2]


@pytest.mark.parametrize("text", ["", "é", "a\x1db"])
def test_code128_refuses_what_subset_b_cannot_encode(text):
    with pytest.raises(ValueError):
        code128_symbols(text)


def test_code128_svg_is_xml_with_the_bars_and_the_text_beneath():
    svg = code128_svg('A-01 <"&>', height=40)
    root = ElementTree.fromstring(svg)
    namespace = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{namespace}svg"
    assert root.find(f"{namespace}text").text == 'A-01 <"&>'
    bars = root.find(f"{namespace}path").get("d")
    symbols = code128_symbols('A-01 <"&>')
    assert bars.count("M") == 3 * (len(symbols) - 1) + 4  # three bars a symbol, four in the stop pattern
    modules = 11 * (len(symbols) - 1) + 13
    assert root.get("viewBox") == f"0 0 {modules + 20} {40 + 14}"  # 10 modules of quiet zone either side
