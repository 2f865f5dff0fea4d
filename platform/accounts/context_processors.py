from .navigation import navigation_for


def navigation(request):
    """The navigation entries this person may use (adapts to their roles)."""
    return {"navigation": navigation_for(request)}
