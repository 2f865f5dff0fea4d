"""URLs for bench/till_award.py: Agora's own, plus the stack's floor — a bare view doing one INSERT
in one transaction. Only ever loaded by the benchmark (DJANGO_ROOT_URLCONF=floor_urls)."""

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from agora.urls import urlpatterns as agora_urlpatterns


@csrf_exempt
def floor(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_floor (created_at) VALUES (now()) RETURNING id")
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/floor/", floor), *agora_urlpatterns]
