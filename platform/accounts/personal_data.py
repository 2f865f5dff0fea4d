"""Registers this app's personal data with the privacy registry."""
