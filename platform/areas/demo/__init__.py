"""The demo town: a deterministic, scalable generator of demo data (``manage.py seed_demo``).

Two shopping areas (Amersfoort, Mechelen), their merchants, staff in every role and members with
their consents, made by seed steps that other modules extend with their own ``demo.py``:
see `areas.demo.registry` for how to add a step.
"""

from .people import ADMIN_EMAIL, DEMO_PASSWORD, DEMO_TOTP_SECRET, STAFF_DOMAIN, is_demo_email
from .registry import (
    SIZES,
    DemoContext,
    DemoLogin,
    DemoSeedError,
    DemoSize,
    MemberProfile,
    WipeScope,
    demo_step,
    demo_wipe,
    registered_steps,
    registered_wipes,
)
from .runner import delete_append_only, delete_many, demo_users, seed_demo, wipe_demo
from .towns import DEMO_AREA_SLUGS, TOWNS

__all__ = [
    "ADMIN_EMAIL",
    "DEMO_AREA_SLUGS",
    "DEMO_PASSWORD",
    "DEMO_TOTP_SECRET",
    "SIZES",
    "STAFF_DOMAIN",
    "TOWNS",
    "DemoContext",
    "DemoLogin",
    "DemoSeedError",
    "DemoSize",
    "MemberProfile",
    "WipeScope",
    "delete_append_only",
    "delete_many",
    "demo_step",
    "demo_users",
    "demo_wipe",
    "is_demo_email",
    "registered_steps",
    "registered_wipes",
    "seed_demo",
    "wipe_demo",
]
