from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("consents/", views.consents, name="consents"),
    path("consents/receipt/", views.receipt, name="receipt"),
    path("my-data/", views.export, name="export"),
    path("erase/", views.erase, name="erase"),
    path("erase/done/", views.erase_done, name="erase_done"),
    path("audit-log/", views.audit_log, name="audit_log"),
]
