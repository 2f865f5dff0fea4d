"""Resolves the shopping area of a request from its Wagtail Site (one site per area)."""

from django.utils.functional import SimpleLazyObject

from .selectors import area_for_request


class CurrentAreaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.area = SimpleLazyObject(lambda: area_for_request(request))
        return self.get_response(request)
