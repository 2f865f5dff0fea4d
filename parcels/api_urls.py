"""The parcel point's API (/api/v1/parcel-points/…): pre-announcements from carriers and shops."""

urlpatterns: list = []
