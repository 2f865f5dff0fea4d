"""The bench catalogue's twelve categories, shared by the peer's seed and bench/shop_pages.py."""

CATEGORIES = [
    "Kaas",
    "Brood",
    "Boeken",
    "Speelgoed",
    "Mode",
    "Schoenen",
    "Sieraden",
    "Wonen",
    "Bloemen",
    "Sport",
    "Verzorging",
    "Delicatessen",
]
