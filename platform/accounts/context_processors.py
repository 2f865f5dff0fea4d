from .navigation import navigation_for, personal_menu


def navigation(request):
    """The navigation entries this person may use (adapts to their roles), and those of them that fold under their
    name (`navigation_personal`, see `personal_menu`)."""
    items = navigation_for(request)
    return {"navigation": items, "navigation_personal": personal_menu(request, items)}
