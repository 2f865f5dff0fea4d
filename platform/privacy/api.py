"""The member's own privacy data over the API. Every endpoint acts on `request.user` only: there is
no id to pass, so nobody can reach another person's data through it."""

from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiAuthMixin
from accounts.permissions import require
from areas.models import ShoppingArea

from . import selectors, services
from .exceptions import ConsentNotApplicable, ConsentTextChanged, PurposeNotOffered, UnknownPurpose
from .models import CollectionMethod, ConsentState


def _area_field() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="slug", queryset=ShoppingArea.objects.filter(is_active=True))


class AreaFilterSerializer(serializers.Serializer):
    area = _area_field()

    class Meta:
        ref_name = "PrivacyAreaFilter"


def _area_from_query(request) -> ShoppingArea:
    query = AreaFilterSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["area"]


class MyConsentsApi(ApiAuthMixin, APIView):
    """GET: my choices in an area. POST: give, withdraw or refuse consent for one purpose."""

    class ChoiceOutputSerializer(serializers.Serializer):
        purpose = serializers.CharField(source="purpose.code")
        lawful_basis = serializers.CharField(source="purpose.lawful_basis")
        needs_consent = serializers.BooleanField()
        title = serializers.CharField(source="version.title")
        text = serializers.CharField(source="version.text")
        personal_data = serializers.CharField(source="version.personal_data")
        retention = serializers.CharField(source="version.retention")
        text_version = serializers.IntegerField(source="version.version")
        status = serializers.CharField(
            help_text="given, withdrawn, refused, expired (text changed), contract, or empty"
        )
        is_given = serializers.BooleanField()
        decided_at = serializers.DateTimeField(allow_null=True)

        class Meta:
            ref_name = "MyConsentChoice"

    class InputSerializer(serializers.Serializer):
        area = _area_field()
        purpose = serializers.SlugField(max_length=60)
        state = serializers.ChoiceField(choices=ConsentState.choices)
        text_version = serializers.IntegerField(
            min_value=1, required=False, help_text="The text version shown; consent to an outdated text is refused."
        )

        class Meta:
            ref_name = "ConsentDecisionInput"

    class OutputSerializer(serializers.Serializer):
        record_id = serializers.UUIDField()
        purpose = serializers.CharField(source="purpose.code")
        state = serializers.CharField()
        text_version = serializers.IntegerField(source="purpose_version.version")
        occurred_at = serializers.DateTimeField()

        class Meta:
            ref_name = "ConsentDecision"

    @extend_schema(
        operation_id="me_consents_list", parameters=[AreaFilterSerializer], responses=ChoiceOutputSerializer(many=True)
    )
    def get(self, request):
        area = _area_from_query(request)
        require(request.user, "person.view", request.user)
        choices = selectors.consents_for(request.user, area)
        return Response(self.ChoiceOutputSerializer(choices, many=True).data)

    @extend_schema(operation_id="me_consents_record", request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require(request.user, "person.manage_consent", request.user)
        try:
            event = services.record_consent(
                subject=request.user,
                area=data.validated_data["area"],
                purpose_code=data.validated_data["purpose"],
                state=data.validated_data["state"],
                method=CollectionMethod.API,
                language=get_language(),
                recorded_by=request.user,
                shown_version=data.validated_data.get("text_version"),
            )
        except ConsentTextChanged as error:
            raise ValidationError({"text_version": [error.message]}) from error
        except (UnknownPurpose, PurposeNotOffered, ConsentNotApplicable) as error:
            raise ValidationError({"purpose": [error.message]}) from error
        return Response(self.OutputSerializer(event).data, status=status.HTTP_201_CREATED)


class MyConsentReceiptApi(ApiAuthMixin, APIView):
    """My consent record for an area as an ISO/IEC TS 27560 receipt (W3C DPV terms)."""

    @extend_schema(operation_id="me_consent_receipt", parameters=[AreaFilterSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        area = _area_from_query(request)
        require(request.user, "person.view", request.user)
        return Response(selectors.consent_receipt(request.user, area, language=get_language()))


class MyExportApi(ApiAuthMixin, APIView):
    """Everything held about me (GDPR art. 15 and 20). Each call is recorded as an export request."""

    @extend_schema(operation_id="me_export", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        require(request.user, "person.export", request.user)
        return Response(services.export_personal_data(subject=request.user, requested_by=request.user, via="api"))
