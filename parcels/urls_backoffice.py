"""Parcel-point URLs: backoffice (see parcels/urls.py)."""

urlpatterns: list = []
