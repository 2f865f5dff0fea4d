"""Points as people read them: a change of points carries its sign, "+250" for points that came in and "−120" (a
true minus sign, as `agora.money.format_signed_euros` writes euros) for points that went out."""

from django import template

register = template.Library()


@register.filter("signed")
def signed_points(points: int) -> str:
    """+250, −120, 0."""
    points = int(points)
    return f"+{points}" if points > 0 else f"\u2212{-points}" if points < 0 else "0"
