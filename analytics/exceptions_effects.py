"""Errors of the effect, segment and advice computations; their messages are shown on the report pages."""

from __future__ import annotations

from agora.exceptions import ApplicationError


class EffectNotComputable(ApplicationError):
    """This effect cannot be computed (too little data, too few members, a window not yet begun)."""
