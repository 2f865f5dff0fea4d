from django.urls import path

from . import views

app_name = "areas"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("merchants/<int:pk>/", views.merchant_detail, name="merchant_detail"),
    path("merchants/<int:pk>/edit/", views.merchant_edit, name="merchant_edit"),
    path("merchants/<int:pk>/hours/", views.opening_hours_edit, name="opening_hours"),
    path("merchants/<int:pk>/team/", views.team, name="team"),
    path("merchants/<int:pk>/team/<int:membership_pk>/end/", views.team_end, name="team_end"),
]
