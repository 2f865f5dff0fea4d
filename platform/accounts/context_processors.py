from .navigation import navigation_for, personal_menu


def navigation(request):
    """The navigation entries this person may use (adapts to their roles): all of them (`navigation`), those that
    fold under their name (`navigation_personal`, see `personal_menu`) and the rest, the menu itself
    (`navigation_main`)."""
    items = navigation_for(request)
    personal = personal_menu(request, items)
    return {
        "navigation": items,
        "navigation_main": [item for item in items if item not in personal],
        "navigation_personal": personal,
        "navigation_personal_active": any(item["active"] for item in personal),
    }
