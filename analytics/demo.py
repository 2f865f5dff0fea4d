"""Analytics' demo steps (found by the demo runner like admin.py): each part registers its own."""

from . import (
    demo_effects,  # noqa: F401  (a campaign with a known effect; its report, segments and advice: orders 95, 120, 520)
    demo_figures,  # noqa: F401  (every area's stored figures, computed last: order 590)
    demo_sensors,  # noqa: F401  (counting points, a year of hourly counts, weather)
)
