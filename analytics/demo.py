"""Analytics' demo steps (found by the demo runner like admin.py): each part registers its own."""

from . import (
    demo_figures,  # noqa: F401  (every area's stored figures, computed last: order 590)
    demo_sensors,  # noqa: F401  (counting points, a year of hourly counts, weather)
)
