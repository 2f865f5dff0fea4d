"""API plumbing shared by every app."""


def only_our_api(endpoints):
    """drf-spectacular preprocessing hook: document /api/v1/ only (not Wagtail's admin API)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
