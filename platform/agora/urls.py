"""Root URLs. Pages people read sit under a language prefix (/nl/, /en/); machine and admin
endpoints do not."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from . import views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("areas.api_urls")),
    path("", include("privacy.api_urls")),
    path("", include("loyalty.api_urls")),
    path("", include("parcels.api_urls")),
    path("", include("analytics.api_urls")),
    path("", include("analytics.api_sensors_urls")),
]

urlpatterns = [
    # Django's and Wagtail's own login forms know nothing of the second factor: staff log in through allauth
    # (password, then the TOTP code), like everyone else. WAGTAILADMIN_LOGIN_URL sends Wagtail's redirects there too.
    path("admin/login/", views.staff_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("cms/login/", views.staff_login, name="cms_login"),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("sitemap.xml", sitemap),
    path("healthz", views.healthz, name="healthz"),
    # the shop's payment endpoints: Stripe's webhook (/shop/stripe/webhook/) and the card confirm
    path("shop/", include("shop.payments.urls")),
]

urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("privacy/", include("privacy.urls")),
    path("staff/", include("areas.urls")),
    path("", include("loyalty.urls")),
    path("", include("parcels.urls")),
    path("", include("shop.urls_shop")),
    path("", include("shop.urls_merchant")),
    path("", include("analytics.urls_effects")),
    path("", include("analytics.urls")),
    path("", include("analytics.urls_sensors")),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
