"""Parcel-point URLs: the desk — intake, pickup, parcel search and history, slot labels (see parcels/urls.py)."""

from django.urls import path

from . import views_desk

urlpatterns: list = [
    path("pakketpunt/", views_desk.desk_start, name="desk_start"),
    path("pakketpunt/<int:point_pk>/", views_desk.desk_home, name="desk_home"),
    path("pakketpunt/<int:point_pk>/balie/", views_desk.desk_device, name="desk_device"),
    path("pakketpunt/<int:point_pk>/inname/", views_desk.desk_intake, name="desk_intake"),
    path("pakketpunt/<int:point_pk>/afgifte/", views_desk.desk_pickup, name="desk_pickup"),
    path("pakketpunt/<int:point_pk>/afgifte/meegeven/", views_desk.desk_hand_out, name="desk_hand_out"),
    path("pakketpunt/<int:point_pk>/zoeken/", views_desk.desk_search, name="desk_search"),
    path("pakketpunt/<int:point_pk>/pakket/<int:parcel_pk>/", views_desk.desk_parcel, name="desk_parcel"),
    path(
        "pakketpunt/<int:point_pk>/pakket/<int:parcel_pk>/vermist/",
        views_desk.desk_declare_lost,
        name="desk_declare_lost",
    ),
    path("pakketpunt/<int:point_pk>/labels/", views_desk.desk_labels, name="desk_labels"),
]
