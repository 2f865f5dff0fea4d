"""Sensor charts: bars of counts per day or hour with their quality flags visible, drawn as inline SVG on
the frame, axes and scale of `analytics.charts` (no JavaScript, no chart library). A flagged bar is
hatched and names its flags in its tooltip and in the chart's description; the page also lists the
numbers and flags in a table."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .charts import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, _axes, _fmt, _frame, _ids, _nice_max


def flagged_bar_chart(*, title: str, labels: list[str], values: list[float], flags: list[str]) -> SafeString:
    """One bar per label; `flags[i]`: the flag labels of bar i ("" when clean)."""
    chart_id = f"chart{next(_ids)}"
    top = _nice_max(max(values) if values else 0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body = _axes(top, labels)
    n = max(len(labels), 1)
    width = plot_w / n * 0.7
    flagged = 0
    for i, (label, value, flag) in enumerate(zip(labels, values, flags, strict=True)):
        x = LEFT + plot_w * (i + 0.15) / n
        h = max(plot_h * value / top, 1.5 if flag else 0)
        css = "bar bar--hidden" if flag else "bar"
        note = f" — {flag}" if flag else ""
        flagged += bool(flag)
        body.append(
            f'<rect class="{css}" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{width:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {escape(_fmt(value))}{escape(note)}</title></rect>"
        )
    if values:
        description = _("%(title)s from %(first)s to %(last)s: highest %(high)s.") % {
            "title": title,
            "first": labels[0],
            "last": labels[-1],
            "high": _fmt(max(values)),
        }
    else:
        description = _("No counts in this period.")
    if flagged:
        description += " " + _("%(n)d bars have data-quality problems (hatched).") % {"n": flagged}
    return _frame(title, description, body, chart_id)
