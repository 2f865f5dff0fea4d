"""URLs for bench/till_award.py: Agora's own, plus two yardsticks only the benchmark loads
(DJANGO_ROOT_URLCONF=floor_urls):

- the stack's floor — a bare view doing one INSERT in one transaction;
- an award's statements alone — the four statements an API award sends to PostgreSQL, with the award's own SQL (the
  token with its owner and memberships, the merchant with its area and rules, the pass with its facts, the one
  write), in a bare view: no DRF, no model objects, no rules, nothing checked. Not an award; it shows how much of
  the gap between the award and the floor is the database work itself.
"""

import json
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.authentication import token_sql
from agora.urls import urlpatterns as agora_urlpatterns
from loyalty.models import LedgerEntry, Pass, PointLot, TillTransaction
from loyalty.selectors import till_merchant_sql
from loyalty.services import till_sql


@csrf_exempt
def floor(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_floor (created_at) VALUES (now()) RETURNING id")
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


@csrf_exempt
def award_statements(request):
    """The award's four statements, with the award's own SQL (see the module's docstring): one point per euro, nothing
    checked, no model objects."""
    data = json.loads(request.body)
    token = request.headers["Authorization"].partition(" ")[2]
    key, now = uuid.UUID(data["request_key"]), timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(token_sql(), ["totp", token])
        user_id = cursor.fetchall()[0][2]
        cursor.execute(till_merchant_sql(), [data["merchant"]])
        merchant_id, area_id = cursor.fetchone()[:2]
        hour_ago = now - timedelta(hours=1)
        facts = till_sql.facts_params(
            merchant_id=merchant_id,
            device_id="",
            receipt_number="",
            request_key=key,
            hour_ago=hour_ago,
            day_start=hour_ago,
        )
        for _attempt in range(3):  # as the award: read again when another till wrote to the pass in between
            row = till_sql.read_row(*till_sql.read_statement(area_id, data["code"], facts))
            pass_id, version = row[0], row[_VERSION]
            points = data["amount_cents"] // 100
            values = {
                "TillTransaction": {
                    "merchant_id": merchant_id,
                    "member_pass_id": pass_id,
                    "kind": "purchase",
                    "amount_cents": data["amount_cents"],
                    "points": points,
                    "occurred_at": now,
                    "request_key": key,
                    "by_id": user_id,
                },
                "LedgerEntry": {
                    "member_pass_id": pass_id,
                    "kind": "earn",
                    "points": points,
                    "occurred_at": now,
                    "request_key": key,
                    "merchant_id": merchant_id,
                    "by_id": user_id,
                },
                "PointLot": {
                    "member_pass_id": pass_id,
                    "points": points,
                    "remaining": points,
                    "earned_at": now,
                    "expires_at": now + timedelta(days=730),
                },
            }
            params = {"points": points, "step": None, "pass": pass_id, "version": version, "active": "active"}
            params.update(
                {f"{model}_{name}": _DEFAULTS[model].get(name) for model in _DEFAULTS for name in _DEFAULTS[model]}
            )
            params.update(
                {f"{model}_{name}": value for model, row_values in values.items() for name, value in row_values.items()}
            )
            cursor.execute(till_sql.write_sql(), params)
            if (written := cursor.fetchone()) is not None:
                break
        else:
            return JsonResponse({"detail": "busy"}, status=409)
    return JsonResponse({"transaction_id": written[0], "points_awarded": points}, status=201)


def _defaults(model) -> dict:
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}


_DEFAULTS = {model.__name__: _defaults(model) for model in (TillTransaction, LedgerEntry, PointLot)}
_VERSION = [f.attname for f in Pass._meta.concrete_fields].index("till_version")


urlpatterns = [path("bench/floor/", floor), path("bench/award-statements/", award_statements), *agora_urlpatterns]
