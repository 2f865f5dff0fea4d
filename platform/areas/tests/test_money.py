"""Amounts read the same everywhere: the platform's one euro format, on screens and in spreadsheets."""

from django.template import Context, Template
from django.utils import translation

from agora.money import csv_euros, format_euros, format_euros_or_blank


def test_dutch_and_english_amounts():
    with translation.override("nl"):
        assert format_euros(123456) == "€\u00a01.234,56"
        assert format_euros(-1250) == "\u2212€\u00a012,50"  # a true minus, before the sign
    with translation.override("en"):
        assert format_euros(123456) == "€1,234.56"


def test_spreadsheets_get_a_decimal_comma_and_no_grouping():
    assert csv_euros(123456) == "1234,56"
    assert csv_euros(-5) == "-0,05"


def test_the_template_filter_of_the_shop_and_the_sites_is_the_same_and_blank_for_no_amount():
    with translation.override("nl"):
        for library in ("shop_money", "agora_cms"):
            rendered = Template(f"{{% load {library} %}}[{{{{ a|euros }}}}][{{{{ b|euros }}}}]").render(
                Context({"a": 240, "b": None})
            )
            assert rendered == "[€\u00a02,40][]"
    assert format_euros_or_blank("") == ""
