"""URLs for bench/till_award.py: Agora's own, plus two yardsticks only the benchmark loads
(DJANGO_ROOT_URLCONF=floor_urls):

- the stack's floor — a bare view doing one INSERT in one transaction;
- an award's statements alone — the same thirteen round trips to PostgreSQL an API award makes (token, memberships,
  merchant; BEGIN, the pass lock, the till facts, the running campaigns, three INSERTs and the balance UPDATE,
  COMMIT), written as plain SQL with no ORM, no DRF and no rules: what an award costs before any of its Python.
  Its figures are not an award's (no rule is applied, nothing is checked); they show how much of the gap between
  the award and the floor is the database work itself.
"""

import json
import uuid

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from agora.urls import urlpatterns as agora_urlpatterns


@csrf_exempt
def floor(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_floor (created_at) VALUES (now()) RETURNING id")
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


_TOKEN = """
    SELECT u.id, EXISTS (SELECT 1 FROM mfa_authenticator a WHERE a.type = 'totp' AND a.user_id = t.user_id)
    FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id WHERE t.key = %s
"""
_MEMBERSHIPS = "SELECT role, area_id, merchant_id FROM areas_staffmembership WHERE ended_at IS NULL AND user_id = %s"
_MERCHANT = """
    SELECT m.id, m.area_id, m.*, a.*, s.* FROM areas_merchant m JOIN areas_shoppingarea a ON a.id = m.area_id
    LEFT JOIN loyalty_loyaltysettings s ON s.area_id = a.id WHERE m.id = %s
"""
_LOCK = """
    SELECT p.id, p.points_balance, p.*, u.*,
        (SELECT multiplier_permille FROM loyalty_merchantloyalty WHERE merchant_id = %s LIMIT 1),
        EXISTS (SELECT 1 FROM privacy_currentconsent cc JOIN privacy_purpose pp ON pp.id = cc.purpose_id
                WHERE cc.subject_id = p.member_id AND cc.area_id = %s AND pp.code = 'name' AND cc.state = 'given')
    FROM loyalty_pass p JOIN accounts_user u ON u.id = p.member_id
    WHERE p.area_id = %s AND p.card_number = %s LIMIT 1 FOR UPDATE OF p
"""
_FACTS = """
    SELECT SUM(CASE WHEN member_pass_id = %s AND kind = 'purchase' THEN 1 ELSE 0 END),
           SUM(CASE WHEN merchant_id = %s AND kind = 'purchase' THEN 1 ELSE 0 END),
           SUM(CASE WHEN member_pass_id = %s THEN points ELSE 0 END),
           MAX(CASE WHEN request_key = %s THEN id END)
    FROM loyalty_tilltransaction
    WHERE (member_pass_id = %s AND occurred_at >= %s) OR (merchant_id = %s AND kind = 'purchase' AND occurred_at >= %s)
       OR request_key = %s
"""
_CAMPAIGNS = "SELECT * FROM loyalty_campaign WHERE area_id = %s AND is_active AND starts_at <= %s AND ends_at > %s"
_PURCHASE = """
    INSERT INTO loyalty_tilltransaction (merchant_id, member_pass_id, kind, amount_cents, receipt_number, points,
        bonus_points, points_unrecovered, campaign_points, voucher_cents, reward_cents, points_spent, giftcard_cents,
        balance_after, occurred_at, request_key, device_id, by_id)
    VALUES (%s, %s, 'purchase', %s, '', %s, 0, 0, 0, 0, 0, 0, 0, %s, %s, %s, %s, %s) RETURNING id
"""
_ENTRY = """
    INSERT INTO loyalty_ledgerentry (member_pass_id, kind, points, occurred_at, request_key, merchant_id,
        till_transaction_id, reason, by_id)
    VALUES (%s, 'earn', %s, %s, %s, %s, %s, '', %s) RETURNING id
"""
_LOT = """
    INSERT INTO loyalty_pointlot (member_pass_id, entry_id, points, remaining, earned_at, expires_at)
    VALUES (%s, %s, %s, %s, %s, %s + interval '2 years')
"""
_BALANCE = "UPDATE loyalty_pass SET points_balance = points_balance + %s WHERE id = %s"


@csrf_exempt
def award_statements(request):
    """The award's round trips as plain SQL (see the module's docstring): one point per euro, nothing checked."""
    data = json.loads(request.body)
    token = request.headers["Authorization"].partition(" ")[2]
    key, now = uuid.UUID(data["request_key"]), timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN, [token])
        user_id, _has_totp = cursor.fetchone()
        cursor.execute(_MEMBERSHIPS, [user_id])
        cursor.fetchall()
        cursor.execute(_MERCHANT, [data["merchant"]])
        merchant_id, area_id, *_rest = cursor.fetchone()
        with transaction.atomic():
            cursor.execute(_LOCK, [merchant_id, area_id, area_id, data["code"]])
            pass_id, balance, *_rest = cursor.fetchone()
            cursor.execute(_FACTS, [pass_id, merchant_id, pass_id, key, pass_id, now, merchant_id, now, key])
            cursor.fetchone()
            cursor.execute(_CAMPAIGNS, [area_id, now, now])
            cursor.fetchall()
            points = data["amount_cents"] // 100
            purchase = [merchant_id, pass_id, data["amount_cents"], points, balance + points, now, key]
            cursor.execute(_PURCHASE, [*purchase, data["device_id"], user_id])
            (purchase_id,) = cursor.fetchone()
            cursor.execute(_ENTRY, [pass_id, points, now, key, merchant_id, purchase_id, user_id])
            (entry_id,) = cursor.fetchone()
            cursor.execute(_LOT, [pass_id, entry_id, points, points, now, now])
            cursor.execute(_BALANCE, [points, pass_id])
    return JsonResponse({"transaction_id": purchase_id, "points_awarded": points}, status=201)


urlpatterns = [path("bench/floor/", floor), path("bench/award-statements/", award_statements), *agora_urlpatterns]
