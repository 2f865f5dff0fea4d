"""Parcel-point URLs: desk (see parcels/urls.py)."""

urlpatterns: list = []
