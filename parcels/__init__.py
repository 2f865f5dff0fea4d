"""The neighbourhood parcel point: intake of every carrier, shelving, pickup, returns, handover, fees."""
