"""URLs of the loyalty app's settlement pages (included by loyalty.urls, in its namespace).

The period is a query parameter: `?month=2026-05`, or `?first=2026-05-01&last=2026-05-31`; none is the
current month. The area of the overview is its slug or its id.
"""

from django.urls import path

from . import views_settlement as views

urlpatterns = [
    path("afrekening/", views.start, name="settlement_start"),
    path("afrekening/overzicht/<str:area>/", views.overview, name="settlement_overview"),
    path("afrekening/overzicht/<str:area>/csv/", views.overview_csv, name="settlement_overview_csv"),
    path("afrekening/<int:merchant_pk>/", views.statement, name="settlement_statement"),
    path("afrekening/<int:merchant_pk>/csv/", views.statement_csv, name="settlement_statement_csv"),
    path("afrekening/<int:merchant_pk>/pdf/", views.statement_pdf, name="settlement_statement_pdf"),
    path("afrekening/<int:merchant_pk>/uitgeven/", views.issue, name="settlement_issue"),
    path("afrekening/<int:merchant_pk>/betaald/", views.record_payment, name="settlement_payment"),
]
