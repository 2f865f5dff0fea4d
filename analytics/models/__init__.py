"""Analytics' models, one module per part (see docs/architecture.md)."""

from .aggregates import *  # noqa: F403
from .effects import *  # noqa: F403  (an-effects: segments, effect reports, opening-hours advice)
from .sensors import *  # noqa: F403
