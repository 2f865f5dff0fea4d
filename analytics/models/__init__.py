"""Analytics' models, one module per part (see docs/architecture.md)."""

from .sensors import *  # noqa: F403
