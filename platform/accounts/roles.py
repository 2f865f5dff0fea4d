"""The roles a person can hold, and the scope each one is held in."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")
    AREA_MANAGER = "area_manager", _("Area manager")
    PARCEL_STAFF = "parcel_staff", _("Parcel-point staff")
    MERCHANT_OWNER = "merchant_owner", _("Merchant owner")
    MERCHANT_STAFF = "merchant_staff", _("Merchant staff")


#: Roles held for one shopping area.
AREA_ROLES = frozenset({Role.AREA_MANAGER, Role.PARCEL_STAFF})
#: Roles held for one merchant.
MERCHANT_ROLES = frozenset({Role.MERCHANT_OWNER, Role.MERCHANT_STAFF})
