"""The neighbourhood parcel point: intake, shelving, notification, pickup, returns and carriers."""
