"""URLs of segments, campaign and event reports and opening-hours advice, under /<lang>/analyse/."""

from django.urls import path

from . import views_effects

app_name = "analytics_effects"

urlpatterns = [
    path(
        "analyse/ondernemer/<int:merchant_pk>/openingstijden/",
        views_effects.merchant_opening_hours,
        name="merchant_opening_hours",
    ),
    path("analyse/<str:area>/segmenten/", views_effects.segments, name="segments"),
    path("analyse/<str:area>/effecten/", views_effects.reports, name="reports"),
    path("analyse/<str:area>/effecten/campagne/<int:campaign_pk>/", views_effects.campaign_report, name="campaign"),
    path("analyse/<str:area>/effecten/evenement/<str:occurrence_id>/", views_effects.event_report, name="event"),
    path(
        "analyse/<str:area>/effecten/rapport/<int:report_pk>/status/", views_effects.report_status, name="report_status"
    ),
    path("analyse/<str:area>/openingstijden/", views_effects.opening_hours, name="opening_hours"),
]
