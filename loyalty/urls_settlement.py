"""URLs of the loyalty app's settlement pages (included by loyalty.urls, in its namespace)."""

urlpatterns: list = []
