"""Parcel-point URLs: the back office (see parcels/urls.py) — returns, carrier handover, inventory."""

from django.urls import path

from . import views_backoffice as views

P = "pakketpunt/<int:point_pk>/"

urlpatterns: list = [
    # Returns dropped off by customers, and the receipt.
    path(P + "retouren/", views.returns, name="returns"),
    path(P + "retouren/<int:parcel_pk>/bon/", views.return_receipt, name="return_receipt"),
    # A carrier's driver collecting returns and expired parcels.
    path(P + "overdracht/", views.handovers, name="handovers"),
    path(P + "overdracht/<int:handover_pk>/", views.handover, name="handover"),
    path(P + "overdracht/<int:handover_pk>/scan/", views.handover_scan, name="handover_scan"),
    path(P + "overdracht/<int:handover_pk>/afsluiten/", views.handover_close, name="handover_close"),
    path(P + "overdracht/<int:handover_pk>/vrachtbrief/", views.handover_manifest, name="handover_manifest"),
    path(P + "overdracht/<int:handover_pk>/vrachtbrief.pdf", views.handover_manifest_pdf, name="handover_manifest_pdf"),
    path(P + "overdracht/<int:handover_pk>/vrachtbrief.csv", views.handover_manifest_csv, name="handover_manifest_csv"),
    # The daily shelf inventory.
    path(P + "inventaris/", views.inventory_start, name="inventory_start"),
    path(P + "inventaris/<int:count_pk>/", views.inventory, name="inventory"),
    path(P + "inventaris/<int:count_pk>/afronden/", views.inventory_finish, name="inventory_finish"),
    path(P + "inventaris/<int:count_pk>/resultaat/", views.inventory_result, name="inventory_result"),
    path(P + "inventaris/<int:count_pk>/vermist/", views.inventory_mark_missing, name="inventory_mark_missing"),
]
