"""The accounts API: obtaining a token."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from . import services
from .exceptions import EmailNotVerified, InvalidCredentials, SecondFactorInvalid, SecondFactorNotSetUp


class TokenObtainApi(APIView):
    """Exchange e-mail + password (and, for role holders, a TOTP code) for an API token."""

    # Credentials travel in the body, never in a session: no session auth, so no CSRF to satisfy.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Slows password guessing down to the anonymous rate (per IP address).
    throttle_classes = [AnonRateThrottle]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
        otp_code = serializers.CharField(
            required=False, allow_blank=True, max_length=12, help_text="Required for people who hold a staff role."
        )

        class Meta:
            ref_name = "TokenObtainInput"

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(source="key")

        class Meta:
            ref_name = "TokenObtainOutput"

    @extend_schema(
        operation_id="auth_token_obtain",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description="Field errors, wrong credentials or a wrong one-time code."),
            403: OpenApiResponse(description="The account must verify its e-mail address or set up TOTP first."),
        },
        auth=[],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = services.obtain_api_token(request=request, **data.validated_data)
        except InvalidCredentials as error:
            return Response({"non_field_errors": [error.message]}, status=status.HTTP_400_BAD_REQUEST)
        except SecondFactorInvalid as error:
            return Response({"otp_code": [error.message]}, status=status.HTTP_400_BAD_REQUEST)
        except (EmailNotVerified, SecondFactorNotSetUp) as error:
            return Response({"detail": error.message}, status=status.HTTP_403_FORBIDDEN)
        return Response(self.OutputSerializer(token).data)
