"""The parcel point's API (/api/v1/parcel-points/…): pre-announcements from carriers and shops."""

from django.urls import path

from . import api

urlpatterns = [
    path("parcel-points/<int:pk>/announcements/", api.AnnouncementsApi.as_view(), name="parcel-point-announcements"),
]
