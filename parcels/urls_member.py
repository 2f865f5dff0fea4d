"""Parcel-point URLs: member (see parcels/urls.py)."""

urlpatterns: list = []
