"""Parcel-point URLs: the member's parcels, and the point's pre-announcement upload (see parcels/urls.py)."""

from django.urls import path

from . import views_announcements, views_member

urlpatterns = [
    path("mijn/pakketten/", views_member.my_parcels, name="my_parcels"),
    path(
        "pakketpunt/<int:point_pk>/aankondigingen/",
        views_announcements.upload_announcements,
        name="upload_announcements",
    ),
]
