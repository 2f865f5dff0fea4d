"""The Wagtail website of each shopping area."""
