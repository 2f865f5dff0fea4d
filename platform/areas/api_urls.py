from django.urls import path

from . import api

urlpatterns = [
    path("areas/", api.AreaListApi.as_view(), name="areas-list"),
    path("areas/<slug:slug>/merchants/", api.AreaMerchantListApi.as_view(), name="area-merchants"),
    path("merchants/<int:pk>/", api.MerchantDetailApi.as_view(), name="merchant-detail"),
    path("me/", api.MeApi.as_view(), name="me"),
]
