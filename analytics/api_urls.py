"""The analytics API (/api/v1/analytics/…): stored figures, read-only."""

from django.urls import path

from . import api

urlpatterns = [
    path("analytics/areas/<str:area>/figures/", api.AreaFiguresApi.as_view(), name="analytics-area-figures"),
    path("analytics/merchants/<int:pk>/figures/", api.MerchantFiguresApi.as_view(), name="analytics-merchant-figures"),
]
