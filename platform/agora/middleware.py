from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, without redirecting a 404 on a machine endpoint to /<lang>/…: an API 404 stays a 404.

    (Django redirects any unprefixed 404 whose /<lang>/ form would resolve, and Wagtail's
    catch-all page route makes every /<lang>/… path resolve.)
    """

    UNPREFIXED = ("/api/", "/admin/", "/cms/", "/documents/", "/healthz", "/sitemap.xml", "/static/", "/media/")

    def process_response(self, request, response):
        if response.status_code == 404 and request.path_info.startswith(self.UNPREFIXED):
            response.headers.setdefault("Content-Language", translation.get_language())
            return response
        return super().process_response(request, response)
