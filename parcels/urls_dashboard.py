"""Parcel-point URLs: dashboard (see parcels/urls.py)."""

urlpatterns: list = []
