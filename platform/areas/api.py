"""The areas API: the public area list and merchant directory, a merchant's own record, and the caller's account.

Scoping: a merchant the caller may not view answers 404, exactly like one that does not exist, so ids cannot be
probed; a merchant the caller may view but not change answers 403 to a PATCH. The public endpoints show directory
fields only.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiAuthMixin
from accounts.permissions import get_for_action_or_404

from . import selectors, services
from .exceptions import MerchantInvalid
from .models import Merchant, ShoppingArea, StaffMembership
from .sectors import Sector

NOT_FOUND = OpenApiResponse(description="No such object, or none you may see.")


class AreaListApi(ApiAuthMixin, APIView):
    """The shopping areas on this platform."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = ShoppingArea
            fields = ["name", "slug", "country", "languages", "pass_name"]
            ref_name = "AreaListItem"

    @extend_schema(operation_id="areas_list", responses=OutputSerializer(many=True))
    def get(self, request):
        return Response(self.OutputSerializer(selectors.list_areas(), many=True).data)


class HoursSerializer(serializers.Serializer):
    opens_at = serializers.TimeField(format="%H:%M")
    closes_at = serializers.TimeField(format="%H:%M")

    class Meta:
        ref_name = "OpeningPeriod"


class AreaMerchantListApi(ApiAuthMixin, APIView):
    """An area's merchant directory (active merchants), optionally by sector or only those open now."""

    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        sector = serializers.ChoiceField(choices=Sector.choices, required=False)
        open_now = serializers.BooleanField(required=False, help_text="Only merchants open at this moment.")

        class Meta:
            ref_name = "MerchantDirectoryFilter"

    class OutputSerializer(serializers.ModelSerializer):
        sector_group = serializers.CharField()
        is_open = serializers.BooleanField(help_text="Open at the time of the request.")
        hours_today = serializers.SerializerMethodField()
        today_note = serializers.SerializerMethodField(help_text="Why today's hours differ, e.g. a holiday.")

        class Meta:
            model = Merchant
            fields = [
                "id",
                "slug",
                "trade_name",
                "sector",
                "sector_group",
                "description",
                "street",
                "postcode",
                "city",
                "latitude",
                "longitude",
                "phone",
                "website",
                "is_open",
                "hours_today",
                "today_note",
            ]
            ref_name = "MerchantDirectoryEntry"

        @extend_schema_field(HoursSerializer(many=True))
        def get_hours_today(self, merchant) -> list:
            periods = [{"opens_at": opens, "closes_at": closes} for opens, closes in merchant.day_hours.periods]
            return HoursSerializer(periods, many=True).data

        def get_today_note(self, merchant) -> str:
            exception = merchant.day_hours.exception
            return (exception.label or exception.get_kind_display()) if exception else ""

    class PageSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)

        class Meta:
            ref_name = "MerchantDirectoryPage"

    @extend_schema(
        operation_id="area_merchants_list",
        parameters=[FilterSerializer],
        responses={200: OpenApiResponse(response=PageSerializer), 404: NOT_FOUND},
    )
    def get(self, request, slug: str):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        area = get_object_or_404(selectors.list_areas(), slug=slug)
        merchants = selectors.list_merchants(
            area,
            sector=filters.validated_data.get("sector"),
            open_at=timezone.now() if filters.validated_data.get("open_now") else None,
        )
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(merchants, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class MerchantDetailApi(ApiAuthMixin, APIView):
    """A merchant's full record: for its own people and its area's managers."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.ModelSerializer):
        area = serializers.SlugRelatedField(slug_field="slug", read_only=True)

        class Meta:
            model = Merchant
            fields = [
                "id",
                "area",
                "slug",
                "trade_name",
                "legal_name",
                "registration_number",
                "vat_number",
                "sector",
                "street",
                "postcode",
                "city",
                "latitude",
                "longitude",
                "email",
                "phone",
                "website",
                "description",
                "description_en",
                "status",
                "joined_on",
                "left_on",
                "updated_at",
            ]
            read_only_fields = fields
            ref_name = "MerchantDetail"

    class InputSerializer(serializers.ModelSerializer):
        """Shape only; the service checks the numbers against the area's country and uniqueness."""

        class Meta:
            model = Merchant
            fields = sorted(services.MERCHANT_EDITABLE_FIELDS)
            ref_name = "MerchantUpdate"

    @extend_schema(operation_id="merchant_retrieve", responses={200: OutputSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        merchant = get_for_action_or_404(
            request.user, "merchant.view", Merchant.objects.select_related("area"), view_action="merchant.view", pk=pk
        )
        return Response(self.OutputSerializer(merchant).data)

    @extend_schema(
        operation_id="merchant_partial_update",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description="Errors per field."),
            403: OpenApiResponse(description="You may see this merchant but not change it (or these fields)."),
            404: NOT_FOUND,
        },
    )
    def patch(self, request, pk: int):
        merchant = get_for_action_or_404(
            request.user, "merchant.change", Merchant.objects.select_related("area"), view_action="merchant.view", pk=pk
        )
        data = self.InputSerializer(instance=merchant, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        forbidden = set(data.validated_data) - selectors.editable_merchant_fields(request.user, merchant)
        if forbidden:
            raise PermissionDenied(
                _("Only the area's manager may change: %(fields)s.") % {"fields": ", ".join(sorted(forbidden))}
            )
        try:
            merchant = services.update_merchant(merchant=merchant, by=request.user, **data.validated_data)
        except MerchantInvalid as error:
            return Response(_field_errors(error), status=status.HTTP_400_BAD_REQUEST)
        return Response(self.OutputSerializer(merchant).data)


class RoleSerializer(serializers.ModelSerializer):
    area = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    merchant_name = serializers.CharField(source="merchant.trade_name", default=None, allow_null=True)

    class Meta:
        model = StaffMembership
        fields = ["role", "area", "merchant", "merchant_name"]
        ref_name = "MyRole"


class MeApi(ApiAuthMixin, APIView):
    """The caller's own account and roles."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        preferred_language = serializers.CharField()
        date_joined = serializers.DateTimeField()
        roles = serializers.SerializerMethodField()

        class Meta:
            ref_name = "Me"

        @extend_schema_field(RoleSerializer(many=True))
        def get_roles(self, user) -> list:
            return RoleSerializer(selectors.roles_of(user), many=True).data

    @extend_schema(operation_id="me_retrieve", responses=OutputSerializer)
    def get(self, request):
        return Response(self.OutputSerializer(request.user).data)


def _field_errors(error: MerchantInvalid) -> dict:
    # Django calls errors without a field "__all__"; DRF clients expect "non_field_errors".
    return {("non_field_errors" if key == "__all__" else key): messages for key, messages in error.errors.items()}
