"""URLs of the sensors dashboard (/<lang>/analyse/<area>/sensoren/…) and the public open-data page
(/<lang>/open-data/, the area of the site serving the request)."""

from django.urls import path

from . import views_open_data, views_sensors

app_name = "analytics_sensors"

urlpatterns = [
    path("analyse/<str:area>/sensoren/", views_sensors.dashboard, name="dashboard"),
    path("analyse/<str:area>/sensoren/import/", views_sensors.upload, name="upload"),
    path("analyse/<str:area>/sensoren/import/<int:run_id>/", views_sensors.import_detail, name="import"),
    path("analyse/<str:area>/sensoren/import/<int:run_id>/status/", views_sensors.import_status, name="import_status"),
    path("open-data/", views_open_data.open_data, name="open_data"),
    path("open-data/counts.csv", views_open_data.counts_csv, name="open_data_csv"),
    path("open-data/counts.jsonld", views_open_data.counts_jsonld, name="open_data_jsonld"),
]
