"""The parcel point's API: pre-announcements from carriers and shops (same service as the CSV upload).

`POST /api/v1/parcel-points/<id>/announcements/` takes one parcel or a list (up to `MAX_BATCH`), all or
nothing. Callers are the point's desk staff and area managers (`parcels.operate_desk`), signed in or with an
API token — a carrier or a shop gets a token of an account holding such a role. Announcing a parcel again
(same point, carrier and code) returns the first announcement: retries are safe.

Every message is in the request's language (`Accept-Language`, else the site's default), ours and the framework's:
where the framework's own text is English or half translated (an empty body, bad JSON, a date) the fields and the
view give their own. Errors of the point's checks number the list's items from 1 ("item 2"); `index` counts from 0.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiAuthMixin
from accounts.permissions import get_for_action_or_404

from . import exceptions, services
from .barcodes import CARRIERS
from .models import AnnouncementSource, ParcelPoint
from .services.imports import EMAIL_MAX_LENGTH, MAX_BATCH

DESK = "parcels.operate_desk"


class AnnouncementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    carrier = serializers.CharField(source="carrier.code")
    tracking_code = serializers.CharField(help_text="As stored: upper case, no spaces.")
    expected_on = serializers.DateField(allow_null=True)
    reference = serializers.CharField(source="external_reference", allow_blank=True)
    created = serializers.BooleanField(help_text="False when the parcel was announced before (a retry).")


class AnnouncementInputSerializer(serializers.Serializer):
    tracking_code = serializers.CharField(max_length=64)
    carrier = serializers.ChoiceField(
        choices=CARRIERS,
        required=False,
        allow_blank=True,
        default="",
        help_text="Empty: recognised from the tracking code (refused when the code fits several carriers).",
    )
    recipient_name = serializers.CharField(max_length=150)
    recipient_email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    expected_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="YYYY-MM-DD, from the first of January last year to the end of next year.",
        # The framework's Dutch reads "Date heeft het verkeerde formaat…".
        error_messages={"invalid": gettext_lazy("Give the date as YYYY-MM-DD, for example 2026-06-12.")},
    )
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "ParcelAnnouncementInput"


class AnnouncementsApi(ApiAuthMixin, APIView):
    """Announce parcels expected at the point: one object, or a list of up to 500 (all or nothing)."""

    InputSerializer = AnnouncementInputSerializer
    OutputSerializer = AnnouncementOutputSerializer

    @extend_schema(
        operation_id="parcel_point_announce",
        request=PolymorphicProxySerializer(
            component_name="ParcelAnnouncementRequest",
            serializers=[AnnouncementInputSerializer, AnnouncementInputSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: OpenApiResponse(AnnouncementOutputSerializer, description="At least one parcel was new."),
            200: OpenApiResponse(AnnouncementOutputSerializer, description="All were announced before (a retry)."),
            400: OpenApiResponse(
                description="Errors per field (per item for a list, by index from 0), or `errors`: a list of "
                "{index (from 0), item (from 1), field, message} for items the point refuses (bad code for the "
                "carrier, an implausible date, a conflict). Messages are in the request's language."
            ),
            403: OpenApiResponse(description="Not staff of this parcel point, or the point is closed."),
            404: OpenApiResponse(description="No such parcel point, or not one you work at."),
        },
        examples=[
            OpenApiExample(
                "One parcel",
                value={
                    "tracking_code": "1Z5R89390357567127",
                    "carrier": "ups",
                    "recipient_name": "Sanne de Vries",
                    "recipient_email": "sanne@example.org",
                    "expected_on": "2026-06-12",
                    "reference": "order 1001",
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request, pk: int):
        try:
            point = get_for_action_or_404(
                request.user, DESK, ParcelPoint.objects.select_related("area"), view_action=DESK, pk=pk
            )
        except Http404 as error:  # Django's text names the model, in English
            raise NotFound(_("No such parcel point, or not one you work at.")) from error
        try:
            payload = request.data
        except ParseError as error:  # the parser's own text is English
            raise ParseError(_("The request body is not valid JSON.")) from error
        many = isinstance(payload, list)
        if not many and not isinstance(payload, dict):
            return Response(
                {"detail": _("Send one parcel (an object) or a list of parcels.")}, status=status.HTTP_400_BAD_REQUEST
            )
        if many and not payload:
            return Response({"detail": _("The list of parcels is empty.")}, status=status.HTTP_400_BAD_REQUEST)
        if many and len(payload) > MAX_BATCH:
            message = ngettext(
                "At most %(count)d parcel per request.", "At most %(count)d parcels per request.", MAX_BATCH
            )
            return Response({"detail": message % {"count": MAX_BATCH}}, status=status.HTTP_400_BAD_REQUEST)
        data = self.InputSerializer(data=payload, many=many)
        data.is_valid(raise_exception=True)
        items = data.validated_data if many else [data.validated_data]
        rows = [
            services.AnnouncementRow(
                tracking_code=item["tracking_code"],
                recipient_name=item["recipient_name"],
                recipient_email=item["recipient_email"],
                carrier_code=item["carrier"],
                expected_on=item["expected_on"],
                reference=item["reference"],
                line=number,
            )
            for number, item in enumerate(items, start=1)
        ]
        try:
            result = services.announce_batch(point=point, rows=rows, source=AnnouncementSource.API, by=request.user)
        except exceptions.AnnouncementsRejected as error:
            return Response(
                {
                    "detail": _("Nothing was announced: correct the items listed under “errors” and send them again."),
                    "errors": [
                        {"index": e.line - 1, "item": e.line, "field": e.field, "message": e.message}
                        for e in error.errors
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except (exceptions.NotAllowed, exceptions.PointClosed) as error:
            return Response({"detail": error.message, "code": type(error).__name__}, status=status.HTTP_403_FORBIDDEN)
        output = []
        for announcement, created in zip(result.announcements, result.created, strict=True):
            announcement.created = created
            output.append(self.OutputSerializer(announcement).data)
        return Response(
            output if many else output[0],
            status=status.HTTP_201_CREATED if result.new else status.HTTP_200_OK,
        )
