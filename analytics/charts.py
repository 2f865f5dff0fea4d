"""Accessible inline SVG charts, drawn here (no chart library, no JavaScript): a line chart with an optional
comparison series and a bar chart. Each SVG has role="img", a <title> and a <desc> summing up the data, and
the page shows the same numbers in a table next to it, so the chart is never the only way to read them.
Hidden (suppressed) points are gaps in a line and hatched bars; they are said so in the description.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

_ids = count(1)
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 36


@dataclass
class Series:
    label: str
    values: list[float | None]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _whole_top(value: float) -> int:
    """The axis top for counts: four steps of a whole number (1, 2, 5, 10, 20, 25, 50 … people), so that no
    tick reads 2.5 people."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, magnitude * 5 // 2, 5 * magnitude):  # 25 but not 2.5
            if 4 * step >= value:
                return 4 * step
        magnitude *= 10


def _fmt(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 1_000:
        return f"{value / 1_000:.1f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def _frame(title: str, description: str, body: list[str], chart_id: str) -> SafeString:
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>'
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#64748b" stroke-width="2"/></pattern></defs>'
        + "".join(body)
        + "</svg>"
    )


def _axes(top: float, labels: list[str], *, scale: bool = True) -> list[str]:
    """Grid lines, the value axis (left out with `scale=False`: nothing to measure) and the labels."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5 if scale else 0):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line class="grid-line" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_fmt(value))}</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>')
    step = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % step:
            continue
        x = LEFT + (plot_w * (i + 0.5) / max(len(labels), 1))
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle">{escape(label)}</text>')
    return parts


def _describe(title: str, labels: list[str], series: list[Series]) -> str:
    main = series[0]
    shown = [(label, v) for label, v in zip(labels, main.values, strict=False) if v is not None]
    hidden = len(main.values) - len(shown)
    if not shown:
        return _("No figures to show.")
    low = min(shown, key=lambda item: item[1])
    high = max(shown, key=lambda item: item[1])
    text = _("%(title)s from %(first)s to %(last)s: lowest %(low)s (%(low_at)s), highest %(high)s (%(high_at)s).") % {
        "title": title,
        "first": labels[0],
        "last": labels[-1],
        "low": _fmt(low[1]),
        "low_at": low[0],
        "high": _fmt(high[1]),
        "high_at": high[0],
    }
    if hidden:
        text += " " + _("%(n)s periods are hidden to protect small groups.") % {"n": hidden}
    return text


def line_chart(*, title: str, labels: list[str], series: list[Series]) -> SafeString:
    """Lines over periods; None is a gap. The first series is solid, the second dashed."""
    chart_id = f"chart{next(_ids)}"
    values = [v for s in series for v in s.values if v is not None]
    top = _nice_max(max(values) if values else 0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body = _axes(top, labels)
    n = max(len(labels), 1)
    for index, s in enumerate(series[:2]):
        path, pen_down = [], False
        for i, v in enumerate(s.values):
            if v is None:
                pen_down = False
                continue
            x = LEFT + plot_w * (i + 0.5) / n
            y = TOP + plot_h - plot_h * (v / top)
            path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
            pen_down = True
        if path:
            body.append(f'<path class="series-{index}" d="{" ".join(path)}"><title>{escape(s.label)}</title></path>')
    return _frame(title, _describe(title, labels, series), body, chart_id)


def bar_chart(*, title: str, labels: list[str], values: list[float | None]) -> SafeString:
    """One bar per label; a hidden value is a hatched stub. Whole numbers (people) get whole steps on the axis;
    with every bar hidden there is no axis at all."""
    chart_id = f"chart{next(_ids)}"
    shown = [v for v in values if v is not None]
    if shown and all(float(v).is_integer() for v in shown):
        top = _whole_top(max(shown))
    else:
        top = _nice_max(max(shown) if shown else 0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body = _axes(top, labels, scale=bool(shown))
    n = max(len(labels), 1)
    width = plot_w / n * 0.7
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + plot_w * (i + 0.15) / n
        if v is None:
            body.append(
                f'<rect class="bar bar--hidden" x="{x:.1f}" y="{TOP + plot_h - 8}" width="{width:.1f}" height="8">'
                f"<title>{escape(label)}: {escape(_('hidden'))}</title></rect>"
            )
            continue
        h = plot_h * v / top
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{width:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {escape(_fmt(v))}</title></rect>"
        )
    return _frame(title, _describe(title, labels, [Series(title, list(values))]), body, chart_id)
