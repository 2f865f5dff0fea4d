"""URLs of the rewards catalogue's pages for the area's manager (included by loyalty.urls, in its namespace): the
area by its slug, a reward by its id (its area follows from it). The member's catalogue is under mijn/
(urls_rewards)."""

from django.urls import path

from . import views_manage_rewards as views

urlpatterns = [
    path("beloningen/", views.start, name="manage_rewards_start"),
    path("beloningen/<slug:area>/", views.reward_list, name="manage_rewards"),
    path("beloningen/<slug:area>/nieuw/", views.reward_create, name="reward_create"),
    path("beloningen/beloning/<int:reward_pk>/", views.reward_edit, name="reward_edit"),
    path("beloningen/beloning/<int:reward_pk>/uitzetten/", views.reward_switch_off, name="reward_switch_off"),
    path("beloningen/beloning/<int:reward_pk>/aanzetten/", views.reward_switch_on, name="reward_switch_on"),
]
