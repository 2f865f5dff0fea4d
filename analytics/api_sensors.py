"""The sensor counts API: `POST /api/v1/areas/<id>/observations/` pushes counts in our own JSON format.

The same checks as an uploaded file (`importers.own`), all or nothing; an observation pushed again (same
sensor, observed property, direction and start) updates the stored one — retries are safe. Callers: the
area's managers (`analytics.import_sensor_data`), signed in or with an API token of such an account (a
counter's gateway gets a token of its own account holding that role).
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiAuthMixin
from accounts.permissions import get_for_action_or_404
from areas.models import ShoppingArea

from .importers.base import MAX_ROWS, ImportNotAllowed, ImportRejected
from .importers.service import IMPORT_ACTION, push_observations

VIEW_ACTION = "analytics.view_sensors"
MAX_PUSH = 50_000


class ObservationsApi(ApiAuthMixin, APIView):
    """Push counts: `{"observations": [{sensor, observed_property, direction, start, end, value, uptime}]}`."""

    @extend_schema(
        operation_id="area_observations_push",
        request={"application/json": {"type": "object"}},
        responses={
            201: OpenApiResponse(description="{import_run, created, updated}"),
            400: OpenApiResponse(description="`errors`: a list of {line (item number, from 1), field, message}."),
            403: OpenApiResponse(description="Not a manager of this area."),
            404: OpenApiResponse(description="No such area, or not one you manage."),
        },
        examples=[
            OpenApiExample(
                "Two hours at a shop's door",
                value={
                    "observations": [
                        {
                            "sensor": "door-1",
                            "observed_property": "store_entrants",
                            "direction": "in",
                            "start": "2026-06-01T10:00:00+02:00",
                            "value": 153,
                        },
                        {
                            "sensor": "door-1",
                            "observed_property": "store_entrants",
                            "direction": "in",
                            "start": "2026-06-01T11:00:00+02:00",
                            "value": 171,
                        },
                    ]
                },
                request_only=True,
            )
        ],
    )
    def post(self, request, pk: int):
        area = get_for_action_or_404(
            request.user, IMPORT_ACTION, ShoppingArea.objects.all(), view_action=VIEW_ACTION, pk=pk
        )
        items = request.data.get("observations") if isinstance(request.data, dict) else request.data
        if isinstance(items, list) and len(items) > min(MAX_PUSH, MAX_ROWS):
            return Response(
                {"detail": f"At most {MAX_PUSH} observations per request."}, status=status.HTTP_400_BAD_REQUEST
            )
        try:
            run = push_observations(area=area, by=request.user, payload=request.data)
        except ImportRejected as error:
            return Response(
                {"detail": error.message, "errors": [e.as_dict() for e in error.errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except ImportNotAllowed as error:
            return Response({"detail": error.message}, status=status.HTTP_403_FORBIDDEN)
        return Response(
            {"import_run": run.pk, "created": run.created, "updated": run.updated},
            status=status.HTTP_201_CREATED if run.created else status.HTTP_200_OK,
        )
