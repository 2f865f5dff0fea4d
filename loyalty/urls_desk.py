"""URLs of the loyalty app's desk pages (included by loyalty.urls, in its namespace)."""

urlpatterns: list = []
