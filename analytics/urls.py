"""URLs of the analytics dashboards, under /<lang>/analyse/ (the area is its slug or id).

The period is a query parameter: `?period=month&start=2026-05-01` (day, week, month, quarter, year); none is the
last complete month. Other analytics pages (sensors, effects, open data) add their own url modules here.
"""

from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("analyse/", views.start, name="start"),
    path("analyse/ondernemer/<int:merchant_pk>/", views.merchant, name="merchant"),
    path("analyse/ondernemer/<int:merchant_pk>/download/<str:fmt>/", views.merchant_export, name="merchant_export"),
    path("analyse/<str:area>/", views.overview, name="overview"),
    path("analyse/<str:area>/trends/", views.trends, name="trends"),
    path("analyse/<str:area>/herkomst/", views.origin, name="origin"),
    path("analyse/<str:area>/vergelijking/", views.comparison, name="comparison"),
    path("analyse/<str:area>/herberekenen/", views.recompute, name="recompute"),
    path("analyse/<str:area>/berekening/<int:run_id>/", views.run_status, name="run"),
    path("analyse/<str:area>/download/<str:table>/<str:fmt>/", views.export, name="export"),
    path("analyse/<str:area>/rapport/<int:year>-Q<int:quarter>.pdf", views.quarterly_report, name="report"),
]
