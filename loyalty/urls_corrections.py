"""URLs of the corrections pages for the area's managers (included by loyalty.urls, in its namespace): the area by
its slug, a pass or a waiting correction by its id (its area follows from it)."""

from django.urls import path

from . import views_corrections as views

urlpatterns = [
    path("correcties/", views.start, name="corrections_start"),
    path("correcties/<slug:area>/", views.area_corrections, name="corrections"),
    path("correcties/pas/<int:pass_pk>/", views.pass_correction, name="pass_correction"),
    path("correcties/pas/<int:pass_pk>/nieuw-nummer/", views.pass_new_number, name="pass_new_number"),
    path("correcties/correctie/<int:correction_pk>/toepassen/", views.approve, name="correction_approve"),
    path("correcties/correctie/<int:correction_pk>/niet-toepassen/", views.reject, name="correction_reject"),
]
