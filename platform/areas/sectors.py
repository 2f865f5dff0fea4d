"""Merchant sectors, and the sector groups a municipality reports on.

The groups follow the retail classification Dutch and Flemish municipalities use in their
retail monitors (Locatus-style "branchegroepen"): daily goods, fashion & luxury, leisure
goods, home & living, other retail, hospitality, services, culture & leisure.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SectorGroup(models.TextChoices):
    DAILY = "daily", _("Daily goods")
    FASHION_LUXURY = "fashion_luxury", _("Fashion & luxury")
    LEISURE_GOODS = "leisure_goods", _("Leisure goods")
    HOME = "home", _("Home & living")
    OTHER_RETAIL = "other_retail", _("Other retail")
    HOSPITALITY = "hospitality", _("Hospitality")
    SERVICES = "services", _("Services")
    CULTURE_LEISURE = "culture_leisure", _("Culture & leisure")


class Sector(models.TextChoices):
    GROCERIES = "groceries", _("Daily groceries")
    FOOD_SPECIALTY = "food_specialty", _("Food specialities (bakery, butcher, cheese, …)")
    HEALTH_BEAUTY = "health_beauty", _("Health & beauty (chemist, pharmacy, perfumery)")
    FASHION = "fashion", _("Fashion & shoes")
    JEWELLERY = "jewellery", _("Jewellery, watches & optician")
    BOOKS_TOYS = "books_toys", _("Books, toys & hobby")
    SPORTS = "sports", _("Sports & outdoor")
    ELECTRONICS = "electronics", _("Electronics & phones")
    HOME_LIVING = "home_living", _("Home, living & garden")
    FLOWERS = "flowers", _("Flowers & plants")
    OTHER_RETAIL = "other_retail", _("Other retail")
    HOSPITALITY = "hospitality", _("Hospitality (café, restaurant, lunchroom)")
    SERVICES = "services", _("Services (hairdresser, repair, travel, bank)")
    LEISURE = "leisure", _("Leisure & culture (cinema, museum, activities)")


SECTOR_GROUP: dict[str, str] = {
    Sector.GROCERIES: SectorGroup.DAILY,
    Sector.FOOD_SPECIALTY: SectorGroup.DAILY,
    Sector.HEALTH_BEAUTY: SectorGroup.DAILY,
    Sector.FASHION: SectorGroup.FASHION_LUXURY,
    Sector.JEWELLERY: SectorGroup.FASHION_LUXURY,
    Sector.BOOKS_TOYS: SectorGroup.LEISURE_GOODS,
    Sector.SPORTS: SectorGroup.LEISURE_GOODS,
    Sector.ELECTRONICS: SectorGroup.LEISURE_GOODS,
    Sector.HOME_LIVING: SectorGroup.HOME,
    Sector.FLOWERS: SectorGroup.HOME,
    Sector.OTHER_RETAIL: SectorGroup.OTHER_RETAIL,
    Sector.HOSPITALITY: SectorGroup.HOSPITALITY,
    Sector.SERVICES: SectorGroup.SERVICES,
    Sector.LEISURE: SectorGroup.CULTURE_LEISURE,
}


def sector_group(sector: str) -> SectorGroup:
    return SectorGroup(SECTOR_GROUP[sector])
