"""Parcel-point URLs: the point's dashboard and the carriers' monthly statements (see parcels/urls.py)."""

from django.urls import path, re_path

from . import views_dashboard as views

#: …/afrekening/postnl/2026-03/: a carrier's code and a month as YYYY-MM.
STATEMENT = r"^pakketpunt/(?P<point>[0-9]+)/afrekening/(?P<carrier>[-a-z0-9_]+)/(?P<year>[0-9]{4})-(?P<month>[0-9]{2})/"

urlpatterns: list = [
    path("pakketpunt/overzicht/", views.start, name="dashboard_start"),
    path("pakketpunt/<int:point>/overzicht/", views.overview, name="dashboard"),
    re_path(STATEMENT + r"$", views.statement, name="statement"),
    re_path(STATEMENT + r"csv/$", views.statement_csv, name="statement_csv"),
    re_path(STATEMENT + r"pdf/$", views.statement_pdf, name="statement_pdf"),
]
