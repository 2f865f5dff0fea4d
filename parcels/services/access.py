"""Permission checks the services make themselves (every desk, API and import path goes through them)."""

from __future__ import annotations

from accounts.permissions import can

from ..exceptions import NotAllowed, PointClosed
from ..models import ParcelPoint


def require_desk(by, point: ParcelPoint) -> None:
    """`by` may work at the point's desk (`parcels.operate_desk` on its area), and the point is open."""
    if not can(by, "parcels.operate_desk", point.area):
        raise NotAllowed()
    if not point.is_active:
        raise PointClosed()
