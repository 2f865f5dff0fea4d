"""The parcel point's pages (/<lang>/pakketpunt/…) and the member's parcels (/<lang>/mijn/pakketten/…).

Each group of screens has its own module: the desk (intake, pickup, history, labels), the back office
(returns, carrier handover, inventory), the member's pages, and the dashboard with the carriers' statements.
"""

from django.urls import include, path

app_name = "parcels"
urlpatterns = [
    path("", include("parcels.urls_desk")),
    path("", include("parcels.urls_backoffice")),
    path("", include("parcels.urls_member")),
    path("", include("parcels.urls_dashboard")),
]
