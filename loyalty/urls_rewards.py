"""URLs of the loyalty app's rewards pages (included by loyalty.urls, in its namespace)."""

urlpatterns: list = []
