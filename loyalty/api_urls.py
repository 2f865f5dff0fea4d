from django.urls import path

from . import api

urlpatterns = [
    path("merchants/<int:pk>/till/awards/", api.TillAwardApi.as_view(), name="till-award"),
    path(
        "merchants/<int:pk>/till/transactions/<int:transaction_id>/undo/", api.TillUndoApi.as_view(), name="till-undo"
    ),
    path(
        "merchants/<int:pk>/till/transactions/<int:transaction_id>/refund/",
        api.TillRefundApi.as_view(),
        name="till-refund",
    ),
]
