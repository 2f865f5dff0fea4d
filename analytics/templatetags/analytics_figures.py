"""`{% figure_tile figure %}` (a figure with its provenance) and `{% dashboard_nav %}` (the side navigation)."""

from django import template

from analytics.navigation import dashboard_pages

register = template.Library()


@register.inclusion_tag("analytics/_figure.html")
def figure_tile(figure):
    return {"figure": figure}


@register.inclusion_tag("analytics/_dashboard_nav.html", takes_context=True)
def dashboard_nav(context):
    area = context.get("dashboard_area")
    request = context.get("request")
    pages = dashboard_pages(request, area) if area is not None and request is not None else []
    return {"pages": pages, "dashboard_area": area}
