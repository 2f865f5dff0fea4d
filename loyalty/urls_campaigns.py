"""URLs of the campaign pages (included by loyalty.urls, in its namespace): the area by its slug, a campaign by
its id (its area follows from it)."""

from django.urls import path

from . import views_campaigns as views

urlpatterns = [
    path("campagnes/", views.start, name="campaigns_start"),
    path("campagnes/<slug:area>/", views.campaign_list, name="campaigns"),
    path("campagnes/<slug:area>/nieuw/", views.campaign_create, name="campaign_create"),
    path("campagnes/campagne/<int:campaign_pk>/", views.campaign_edit, name="campaign_edit"),
    path("campagnes/campagne/<int:campaign_pk>/beeindigen/", views.campaign_end, name="campaign_end"),
    path("campagnes/campagne/<int:campaign_pk>/vouchers/", views.campaign_vouchers, name="campaign_vouchers"),
]
