"""Analytics' demo steps (found by the demo seeder like admin.py), one module per part."""

from . import demo_effects  # noqa: F401  (an-effects: a campaign with a known effect, reports, segments, advice)
