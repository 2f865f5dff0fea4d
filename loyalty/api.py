"""The till API: what a till app or a scanner integration calls. Same services as the till screen.

Each call carries the client's `request_key` (a UUID generated once per purchase and reused on every
retry): a retry returns the first answer instead of awarding twice.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiAuthMixin

from . import exceptions, services
from .selectors import till_merchant

NOT_FOUND = OpenApiResponse(description="No such merchant, or not one whose till you operate.")

# Which HTTP status tells the client what to do: fix the input (422), fetch a fresh code or give up
# (409), wait (429), or that it may not (403).
_STATUS = [
    (exceptions.NotAllowed, status.HTTP_403_FORBIDDEN),
    (exceptions.VelocityLimitExceeded, status.HTTP_429_TOO_MANY_REQUESTS),
    (exceptions.PassNotFound, status.HTTP_404_NOT_FOUND),
    (exceptions.TransactionNotFound, status.HTTP_404_NOT_FOUND),
    (exceptions.CodeAlreadyUsed, status.HTTP_409_CONFLICT),
    (exceptions.AlreadyUndone, status.HTTP_409_CONFLICT),
    (exceptions.UndoWindowClosed, status.HTTP_409_CONFLICT),
    (exceptions.DuplicateReceipt, status.HTTP_409_CONFLICT),
    (exceptions.RequestKeyReused, status.HTTP_409_CONFLICT),
]


def _error_response(error: exceptions.LoyaltyError) -> Response:
    code = next((code for kind, code in _STATUS if isinstance(error, kind)), status.HTTP_422_UNPROCESSABLE_ENTITY)
    return Response({"detail": error.message, "code": type(error).__name__}, status=code)


class TillResultSerializer(serializers.Serializer):
    transaction_id = serializers.IntegerField()
    kind = serializers.CharField()
    member_first_name = serializers.CharField()
    amount_cents = serializers.IntegerField()
    points_awarded = serializers.IntegerField(help_text="The change of the balance (negative for an undo).")
    balance = serializers.IntegerField()
    is_replay = serializers.BooleanField(help_text="True when this answers an earlier request with the same key.")
    occurred_at = serializers.DateTimeField()
    voucher_cents = serializers.IntegerField(help_text="Paid with the voucher.")
    reward_cents = serializers.IntegerField(help_text="Paid with a reward (for points).")
    giftcard_cents = serializers.IntegerField(help_text="Paid with gift-card value.")
    points_spent = serializers.IntegerField(help_text="Points the reward cost.")
    campaign_points = serializers.IntegerField(help_text="Of the points awarded, those from a campaign.")
    campaign_name = serializers.CharField(allow_blank=True)
    to_pay_cents = serializers.IntegerField(help_text="What is left to pay in money (the part that earns points).")
    daily_cap_points = serializers.IntegerField(
        help_text="The area's daily maximum of points when it cut this purchase's points, for the cashier to tell "
        "the member; 0 when it did not (and in the answer to a retry)."
    )


class TillAwardApi(ApiAuthMixin, APIView):
    """Award points for a purchase to the pass the till read (QR payload, or card number and code)."""

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=80)
        amount_cents = serializers.IntegerField(min_value=1)
        receipt_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
        request_key = serializers.UUIDField()
        device_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
        voucher_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
        reward_id = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
        giftcard_cents = serializers.IntegerField(min_value=0, required=False, default=0)
        pin = serializers.CharField(max_length=6, required=False, allow_blank=True, default="", write_only=True)

        class Meta:
            ref_name = "TillAward"

    @extend_schema(
        operation_id="till_award",
        request=InputSerializer,
        responses={
            201: TillResultSerializer,
            200: OpenApiResponse(TillResultSerializer, description="A retry: the first answer, unchanged."),
            400: OpenApiResponse(description="Errors per field."),
            404: NOT_FOUND,
            409: OpenApiResponse(description="Code already used, duplicate receipt, or key reused."),
            422: OpenApiResponse(description="Not a valid code or amount."),
            429: OpenApiResponse(description="Too many scans in a short time."),
        },
    )
    def post(self, request, pk: int):
        merchant = till_merchant(request.user, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.award_for_purchase(merchant=merchant, by=request.user, **data.validated_data)
        except exceptions.LoyaltyError as error:
            return _error_response(error)
        return Response(
            TillResultSerializer(result).data,
            status=status.HTTP_200_OK if result.is_replay else status.HTTP_201_CREATED,
        )


class TillUndoApi(ApiAuthMixin, APIView):
    """Undo a transaction of this till within the area's undo window (a reversal, never an edit)."""

    class InputSerializer(serializers.Serializer):
        request_key = serializers.UUIDField()

        class Meta:
            ref_name = "TillUndo"

    @extend_schema(
        operation_id="till_undo",
        request=InputSerializer,
        responses={201: TillResultSerializer, 200: TillResultSerializer, 404: NOT_FOUND, 409: OpenApiResponse()},
    )
    def post(self, request, pk: int, transaction_id: int):
        merchant = till_merchant(request.user, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.undo_till_transaction(
                merchant=merchant, transaction_id=transaction_id, by=request.user, **data.validated_data
            )
        except exceptions.LoyaltyError as error:
            return _error_response(error)
        return Response(
            TillResultSerializer(result).data,
            status=status.HTTP_200_OK if result.is_replay else status.HTTP_201_CREATED,
        )


class TillRefundApi(ApiAuthMixin, APIView):
    """A refund at this till for (part of) an earlier purchase: the purchase's points come back pro rata to the amount
    refunded (over several refunds never more than it earned). A voucher, reward or gift card used on it stays used."""

    class InputSerializer(serializers.Serializer):
        amount_cents = serializers.IntegerField(min_value=1, help_text="The amount refunded, in cents.")
        request_key = serializers.UUIDField()

        class Meta:
            ref_name = "TillRefund"

    @extend_schema(
        operation_id="till_refund",
        request=InputSerializer,
        responses={
            201: TillResultSerializer,
            200: OpenApiResponse(TillResultSerializer, description="A retry: the first answer, unchanged."),
            404: NOT_FOUND,
            409: OpenApiResponse(description="The purchase was undone or fully refunded already."),
            422: OpenApiResponse(description="More than is left of the purchase."),
        },
    )
    def post(self, request, pk: int, transaction_id: int):
        merchant = till_merchant(request.user, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.refund_purchase(
                merchant=merchant,
                transaction_id=transaction_id,
                refund_cents=data.validated_data["amount_cents"],
                request_key=data.validated_data["request_key"],
                by=request.user,
            )
        except exceptions.LoyaltyError as error:
            return _error_response(error)
        return Response(
            TillResultSerializer(result).data,
            status=status.HTTP_200_OK if result.is_replay else status.HTTP_201_CREATED,
        )
