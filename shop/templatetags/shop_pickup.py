"""`{% pickup_place part %}`: where and when the customer picks up a part of their order (the parcel point, or the
shop for click and collect), read by `shop.selectors_pickup`; nothing for the courier."""

from django import template

from ..selectors_pickup import pickup_place as find_pickup_place

register = template.Library()


@register.inclusion_tag("shop/shop/_pickup_place.html")
def pickup_place(part):
    return {"part": part, "place": find_pickup_place(part)}
