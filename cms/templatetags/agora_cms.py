"""Template filters of the area websites."""

from django import template

from agora.money import format_euros_or_blank

register = template.Library()
register.filter("euros", format_euros_or_blank)  # integer cents: 240 → "€ 2,40" (nl)
