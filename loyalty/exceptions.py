"""Errors raised by the loyalty services. Each carries a message fit to show at the till or in the app.

Interfaces catch `LoyaltyError` (or the `ApplicationError` base) and show `error.message`; the
class tells them which HTTP status fits (not found, conflict, unprocessable).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from agora.exceptions import ApplicationError


class LoyaltyError(ApplicationError):
    """Base of the loyalty errors. `default_message` is translated when the error is raised."""

    default_message = _("This cannot be done with the pass.")

    def __init__(self, message: str = "", **extra):
        super().__init__(str(message or self.default_message), **extra)
        for name, value in extra.items():
            setattr(self, name, value)


class InvalidPassCode(LoyaltyError):
    default_message = _("This is not a valid pass code. Scan the pass again or type the number on the card.")


class PassNotFound(LoyaltyError):
    default_message = _("No pass with this number in this shopping area.")


class PassBlocked(LoyaltyError):
    default_message = _("This pass is blocked. The member can contact the collective.")


class CodeAlreadyUsed(LoyaltyError):
    default_message = _(
        "This code was used already. The pass shows a new code within 30 seconds: scan that one, or type the card "
        "number."
    )


class CodeExpired(InvalidPassCode):
    default_message = _("This code is not valid (any more). Ask the member to show the pass again.")


class InvalidAmount(LoyaltyError):
    default_message = _("Enter an amount greater than zero and within the limit for one purchase.")


class InvalidGiftCardPayment(InvalidAmount):
    """The gift-card part of a purchase at the till is wrong (more than is left to pay, or missing for a card's number):
    its message belongs on that part, not on the amount. `left_cents`, when given, is what is left to pay."""

    default_message = _("The gift card cannot pay more than what is left to pay.")

    def __init__(self, message: str = "", **extra):
        if not message and "left_cents" in extra:
            from agora.money import format_euros

            message = _("The gift card cannot pay more than what is left to pay: %(left)s.") % {
                "left": format_euros(extra["left_cents"])
            }
        super().__init__(message, **extra)


class InvalidPoints(LoyaltyError):
    default_message = _("Enter a whole number of points greater than zero.")


class VelocityLimitExceeded(LoyaltyError):
    """Too many purchases with points; `limit` says which limit (member, member_merchant, merchant or device) and
    `maximum` its number. The message says which limit, when points come again, and that nothing was recorded."""

    default_message = _("Too many scans in a short time. Try again later or contact the collective.")

    def __init__(self, message: str = "", **extra):
        if not message and "maximum" in extra:
            message = velocity_message(extra.get("limit", ""), extra["maximum"])
        super().__init__(message, **extra)


def velocity_message(limit: str, maximum: int) -> str:
    """What the till says when a velocity limit refuses a purchase, in the active language ("" for an unknown limit:
    the default message then). The refusal records nothing: no points, and no voucher, reward or gift card taken."""
    if limit == "member_merchant":
        which = ngettext(
            "This member has reached the maximum of %(maximum)s purchase with points at this shop per day. They can "
            "earn points here again tomorrow.",
            "This member has reached the maximum of %(maximum)s purchases with points at this shop per day. They can "
            "earn points here again tomorrow.",
            maximum,
        )
    elif limit == "member":
        which = ngettext(
            "This member has reached the maximum of %(maximum)s purchase with points per hour, at all shops "
            "together. They can earn points again within the hour.",
            "This member has reached the maximum of %(maximum)s purchases with points per hour, at all shops "
            "together. They can earn points again within the hour.",
            maximum,
        )
    elif limit == "merchant":
        which = ngettext(
            "This shop has reached the maximum of %(maximum)s purchase with points per hour. Purchases earn points "
            "again within the hour; if your shop is often this busy, ask the collective for a higher limit.",
            "This shop has reached the maximum of %(maximum)s purchases with points per hour. Purchases earn points "
            "again within the hour; if your shop is often this busy, ask the collective for a higher limit.",
            maximum,
        )
    elif limit == "device":
        which = ngettext(
            "This till has reached the maximum of %(maximum)s purchase with points per hour. Use another till, or "
            "try again within the hour.",
            "This till has reached the maximum of %(maximum)s purchases with points per hour. Use another till, or "
            "try again within the hour.",
            maximum,
        )
    else:
        return ""
    nothing = _("Nothing was recorded: the purchase itself can go ahead, without points.")
    return f"{which % {'maximum': maximum}} {nothing}"


class DuplicateReceipt(LoyaltyError):
    default_message = _("Points were already awarded for this receipt number.")


class TransactionNotFound(LoyaltyError):
    default_message = _("This transaction does not exist at this shop.")


class UndoWindowClosed(LoyaltyError):
    default_message = _("This transaction is too old to undo. Record a refund instead.")


class AlreadyUndone(LoyaltyError):
    default_message = _("This transaction has already been undone or fully refunded.")


class RefundTooLarge(InvalidAmount):
    default_message = _("The refund is larger than what is left of the purchase.")


class InsufficientPoints(LoyaltyError):
    """`needed` and `available` say by how much."""

    default_message = _("Not enough points on this pass.")

    @classmethod
    def for_reward(cls, *, needed: int, available: int) -> InsufficientPoints:
        """The refusal of a reward at the till or in the app, saying what it costs and what the pass has."""
        message = ngettext(
            "Not enough points: this reward costs %(needed)s point and the pass has %(available)s.",
            "Not enough points: this reward costs %(needed)s points and the pass has %(available)s.",
            needed,
        ) % {"needed": needed, "available": available}
        return cls(message, needed=needed, available=available)


class RequestKeyReused(LoyaltyError):
    """The same request key came with a different request: a client bug, never retried."""

    default_message = _("This request was already used for something else. Start again.")


class NotAllowed(LoyaltyError):
    default_message = _("You may not do this for this shop or pass.")


class SecondApprovalRequired(LoyaltyError):
    default_message = _("An adjustment this large needs the approval of a second manager.")


class InvalidAdjustment(LoyaltyError):
    default_message = _("Give a reason and a number of points other than zero.")


class OwnCorrection(LoyaltyError):
    default_message = _("A second manager must approve this correction: not the one who asked for it.")


class CorrectionDecided(LoyaltyError):
    """`correction` is the decided one."""

    default_message = _("This correction has been decided already.")


class InvalidProfile(LoyaltyError):
    """`errors` maps the field (postcode, age_band) to its messages."""

    default_message = _("Check the postcode and the age group.")


class InvalidPin(LoyaltyError):
    default_message = _("The PIN is not correct.")


class PinLocked(LoyaltyError):
    default_message = _("The PIN was entered wrongly too often. The member can set a new PIN in the app.")


class ProgrammeClosed(LoyaltyError):
    default_message = _("This shopping area's pass is not open for new members.")


class JoinTextChanged(LoyaltyError):
    """The terms or a consent's text changed (or a purpose stopped being offered) between showing the join page and
    pressing its button: nothing was recorded, and the page must be shown again with the texts as they are now."""

    default_message = _("A text on this page has just changed. Please read it again before you join.")


# --- Vouchers, rewards, campaigns (services/vouchers.py, services/rewards.py, services/campaigns.py) ---------


class VoucherNotUsable(LoyaltyError):
    """Base of the reasons a voucher is refused at the till: catch this to show `error.message`."""

    default_message = _("This voucher cannot be used.")


class VoucherNotFound(VoucherNotUsable):
    default_message = _("No voucher with this code in this shopping area. Check the code and type it again.")


class VoucherAlreadyUsed(VoucherNotUsable):
    default_message = _("This voucher was used already.")


class VoucherExpired(VoucherNotUsable):
    default_message = _("This voucher has expired.")


class VoucherNotYetValid(VoucherNotUsable):
    default_message = _("This voucher is not valid yet.")


class VoucherNotValidHere(VoucherNotUsable):
    default_message = _("This voucher is not valid at this shop.")


class VoucherForAnotherPass(VoucherNotUsable):
    default_message = _("This voucher belongs to a member's pass. Scan that pass together with the voucher.")


class InvalidVoucher(LoyaltyError):
    """A voucher that cannot be issued as asked; `errors` maps the field to its messages."""

    default_message = _("Check the voucher's value, period and merchants.")


class RewardNotAvailable(LoyaltyError):
    default_message = _("This reward is not available (any more).")


class RewardOutOfStock(RewardNotAvailable):
    default_message = _("This reward is sold out.")


class VoucherNotReturnable(LoyaltyError):
    default_message = _("Only an unused reward voucher that has not expired can be given back.")


class InvalidReward(LoyaltyError):
    """A reward that cannot be saved as asked (`services.save_reward`); `errors` maps the field to its messages."""

    default_message = _("Check the reward's cost, value, merchant, period and stock.")


class InvalidCampaign(LoyaltyError):
    """A campaign that cannot be saved as asked (`services.save_campaign`); `errors` maps the field to its messages."""

    default_message = _("Check the campaign's period, kind, merchants and group of members.")


class UnknownSegment(LoyaltyError):
    """A segment code nobody registered (a typo, or the module that registers it is not installed)."""

    default_message = _("Unknown segment.")


# --- Settlement payments (services/settlement.py: record_payment) ------------------------------------------


class SettlementPaymentError(LoyaltyError):
    """Base of the reasons a statement's payment cannot be recorded."""

    default_message = _("The payment of this statement cannot be recorded.")


class StatementNotIssued(SettlementPaymentError):
    default_message = _("Only an issued statement can be marked as paid. Issue the statement first.")


class NothingToPay(SettlementPaymentError):
    default_message = _("The net of this statement is zero: there is nothing to pay.")


class InvalidPaymentDate(SettlementPaymentError):
    """`earliest` and `latest` (dates) say which days are allowed."""

    default_message = _("The payment date cannot be before the statement was issued or in the future.")


class InvalidPaymentReference(SettlementPaymentError):
    default_message = _("A payment reference has at most 60 characters.")


# --- Gift cards ------------------------------------------------------------------------------------------


class GiftCardError(LoyaltyError):
    """Base of the gift-card errors."""

    default_message = _("This cannot be done with the gift card.")


class InvalidGiftCardNumber(GiftCardError):
    default_message = _("This is not a valid gift card number. Scan the card again or type its 16 digits.")


class GiftCardNotFound(GiftCardError):
    default_message = _("No gift card with this number in this shopping area.")


class GiftCardBlocked(GiftCardError):
    default_message = _("This gift card is blocked. The holder can contact the collective's desk.")


class GiftCardExpired(GiftCardError):
    default_message = _("This gift card has expired.")


class InvalidGiftCardAmount(InvalidAmount):
    """`minimum_cents` and `maximum_cents` say what is allowed; the message names them in the active language."""

    default_message = _("This value is not possible for a gift card in this shopping area.")

    def __init__(self, message: str = "", **extra):
        if not message and "minimum_cents" in extra and "maximum_cents" in extra:
            message = value_range_message(extra["minimum_cents"], extra["maximum_cents"])
        super().__init__(message, **extra)


def value_range_message(minimum_cents: int, maximum_cents: int) -> str:
    """What a gift card may be worth, in the active language: the service's refusal and the desk form's own check."""
    from agora.money import format_euros

    return _("A gift card's value must be between %(minimum)s and %(maximum)s.") % {
        "minimum": format_euros(minimum_cents),
        "maximum": format_euros(maximum_cents),
    }


class InsufficientGiftCardBalance(GiftCardError):
    """`needed` and `available` (cents) say by how much. The message shows the balance available."""

    default_message = _("There is not enough value on the gift card.")

    def __init__(self, message: str = "", **extra):
        if not message and "available" in extra:
            from agora.money import format_euros

            message = _("Not enough value on the gift card: %(available)s is available.") % {
                "available": format_euros(extra["available"])
            }
        super().__init__(message, **extra)


class GiftCardPinLocked(PinLocked):
    default_message = _("The PIN was entered wrongly too often: the card is locked. The holder can go to the desk.")


class GiftCardUndoWindowClosed(UndoWindowClosed):
    default_message = _("This gift card payment is too old to undo. The collective's desk can correct it.")


class GiftCardWrongPin(InvalidPin):
    default_message = _("The gift card's PIN is not correct.")


class GiftCardNoPin(InvalidPin):
    default_message = _("This gift card has no PIN: it is on a pass. Ask the member to pay with the pass.")


class GiftCardBlockReasonMissing(GiftCardError):
    default_message = _("Say why the gift card is blocked, for example lost or stolen.")
