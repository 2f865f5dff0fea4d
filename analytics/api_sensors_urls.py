"""The sensor counts API (/api/v1/areas/<id>/observations/)."""

from django.urls import path

from . import api_sensors

urlpatterns = [
    path("areas/<int:pk>/observations/", api_sensors.ObservationsApi.as_view(), name="area-observations"),
]
