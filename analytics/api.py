"""The analytics API (/api/v1/analytics/…), read-only, from stored figures (same selectors as the pages).

- `GET areas/<area>/figures/`: the area's figures (area managers, platform admins: `analytics.view_area_dashboard`);
- `GET merchants/<id>/figures/`: a merchant's own figures (its owner: `analytics.view_merchant_dashboard`).

Filters: `period` (day … year), `start` (a period start), `kpi`, `scope` (area, sector, merchant), `scope_id`.
Suppressed figures come with `value: null` and a reason; a platform admin may add `unsuppressed=1`.
"""

from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.views import APIView

from accounts.authentication import ApiAuthMixin
from accounts.permissions import get_for_action_or_404, is_platform_admin
from areas.models import Merchant, ShoppingArea

from . import selectors
from .extract import SHARE_WITH_MERCHANTS
from .kpis import CATALOGUE, PERIOD_KINDS
from .models import Scope

AREA_ACTION = "analytics.view_area_dashboard"
MERCHANT_ACTION = "analytics.view_merchant_dashboard"


class FigureOutputSerializer(serializers.Serializer):
    scope = serializers.CharField()
    scope_id = serializers.CharField()
    kpi = serializers.CharField()
    unit = serializers.SerializerMethodField()
    breakdown = serializers.CharField()
    period_kind = serializers.CharField()
    period_start = serializers.DateField()
    value = serializers.FloatField(allow_null=True)
    previous_value = serializers.FloatField(allow_null=True)
    last_year_value = serializers.FloatField(allow_null=True)
    suppressed_reason = serializers.CharField(allow_blank=True)
    provenance = serializers.JSONField()

    class Meta:
        ref_name = "AnalyticsFigure"

    def get_unit(self, row) -> str:
        definition = CATALOGUE.get(row["kpi"])
        return definition.unit if definition else ""


PARAMETERS = [
    OpenApiParameter("period", str, enum=list(PERIOD_KINDS)),
    OpenApiParameter("start", str, description="A period start (YYYY-MM-DD)."),
    OpenApiParameter("kpi", str, enum=list(CATALOGUE)),
    OpenApiParameter("scope", str, enum=[Scope.AREA, Scope.SECTOR, Scope.MERCHANT]),
    OpenApiParameter("scope_id", str),
]


def _filtered(request, rows):
    params = request.query_params
    if params.get("period") in PERIOD_KINDS:
        rows = rows.filter(period_kind=params["period"])
    if start := parse_date(params.get("start") or ""):
        rows = rows.filter(period_start=start)
    if params.get("kpi") in CATALOGUE:
        rows = rows.filter(kpi=params["kpi"])
    if params.get("scope") in (Scope.AREA, Scope.SECTOR, Scope.MERCHANT):
        rows = rows.filter(scope=params["scope"])
    if params.get("scope_id"):
        rows = rows.filter(scope_id=params["scope_id"])
    return rows.order_by("scope", "scope_id", "kpi", "breakdown", "period_kind", "period_start")


class _FiguresApi(ApiAuthMixin, APIView):
    def _page(self, request, rows):
        unsuppressed = request.query_params.get("unsuppressed") == "1" and is_platform_admin(request.user)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(_filtered(request, rows), request, view=self)
        if unsuppressed:
            for row in page:
                row["value"] = row["raw_value"]
        return paginator.get_paginated_response(FigureOutputSerializer(page, many=True).data)


class AreaFiguresApi(_FiguresApi):
    """The area's stored figures (published form), filtered and paginated."""

    @extend_schema(
        operation_id="analytics_area_figures", parameters=PARAMETERS, responses=FigureOutputSerializer(many=True)
    )
    def get(self, request, area: str):
        lookup = {"pk": int(area)} if area.isdigit() else {"slug": area}
        area_obj = get_for_action_or_404(
            request.user, AREA_ACTION, ShoppingArea.objects.all(), view_action=AREA_ACTION, **lookup
        )
        return self._page(request, selectors.values(area_obj, purpose="analytics"))


class MerchantFiguresApi(_FiguresApi):
    """A merchant's own figures (members who consented to sharing with merchants they visit)."""

    @extend_schema(
        operation_id="analytics_merchant_figures", parameters=PARAMETERS, responses=FigureOutputSerializer(many=True)
    )
    def get(self, request, pk: int):
        merchant = get_for_action_or_404(
            request.user, MERCHANT_ACTION, Merchant.objects.select_related("area"), view_action=MERCHANT_ACTION, pk=pk
        )
        rows = selectors.values(
            merchant.area, purpose=SHARE_WITH_MERCHANTS, scope=Scope.MERCHANT, scope_id=str(merchant.pk)
        )
        return self._page(request, rows)
