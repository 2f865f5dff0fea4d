"""Analytics models, one module per part (the lead merges the lines of the three analytics helpers)."""

from .aggregates import *  # noqa: F403
from .effects import *  # noqa: F403  (an-effects: segments, effect reports, opening-hours advice)
from .sensors import *  # noqa: F403
