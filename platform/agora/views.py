from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse


def healthz(request):
    """Liveness and database reachability, for the load balancer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def staff_login(request):
    """The login page of Django's admin and of Wagtail's: the site's own login (password, then the second factor),
    which knows nothing skips it. Someone already signed in who lands here may not use that admin: they get a 403
    rather than being sent to the login, back to the admin, and round again until the browser gives up."""
    if request.user.is_authenticated:
        raise PermissionDenied
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("account_login") + (f"?{query}" if query else ""))
