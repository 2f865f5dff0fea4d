from django.urls import path

from . import api

urlpatterns = [
    path("me/consents/", api.MyConsentsApi.as_view(), name="privacy-my-consents"),
    path("me/consent-receipt/", api.MyConsentReceiptApi.as_view(), name="privacy-my-consent-receipt"),
    path("me/export/", api.MyExportApi.as_view(), name="privacy-my-export"),
]
