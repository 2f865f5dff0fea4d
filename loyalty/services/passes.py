"""Joining (with the contract terms accepted and the consents ticked, in one transaction), the member's profile on
the pass, blocking a lost pass and replacing its codes, and the printed card's PIN."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can
from accounts.services import clean_first_name, set_first_name
from privacy.exceptions import ConsentTextChanged, PurposeNotOffered, UnknownPurpose
from privacy.models import AuditAction, CollectionMethod, ConsentEvent, Purpose, PurposeVersion
from privacy.selectors import published_purposes, withdrawn_for_good
from privacy.services import give_consent, log_access

from .. import totp
from ..codes import new_card_number, parse_pass_code
from ..exceptions import (
    InvalidPin,
    InvalidProfile,
    JoinTextChanged,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    PinLocked,
    ProgrammeClosed,
)
from ..models import WELCOME_REASON, AgeBand, EntryKind, LoyaltySettings, Pass, PassStatus
from .guards import MAX_PIN_ATTEMPTS, PIN_PATTERN, accept_code, require_till
from .ledger import credit, derived_key, lock_pass

_POSTCODE = re.compile(r"([1-9]\d{3})(?:\s?[A-Z]{2})?")
_CARD_NUMBER_ATTEMPTS = 5
#: The one purpose the optional profile (postcode, age band) serves: it is kept only while this consent is given.
PROFILE_PURPOSE = Purpose.ANALYTICS


def clean_profile(*, postcode: str = "", age_band: str = "") -> tuple[str, str]:
    """The 4-digit postcode (a Dutch "3811 AB" keeps only 3811: the area, not the street) and the age band.

    Raises InvalidProfile with `errors` per field.
    """
    errors: dict[str, list[str]] = {}
    postcode = re.sub(r"\s+", " ", (postcode or "").strip().upper())
    if postcode:
        match = _POSTCODE.fullmatch(postcode)
        if match:
            postcode = match.group(1)
        else:
            errors["postcode"] = [str(_("Enter the four digits of your postcode, for example 3811 or 2800."))]
    age_band = (age_band or "").strip()
    if age_band and age_band not in AgeBand.values:
        errors["age_band"] = [str(_("Choose one of the age groups."))]
    if errors:
        raise InvalidProfile(errors=errors)
    return postcode, age_band


def join_pass(
    *,
    user,
    area,
    postcode: str = "",
    age_band: str = "",
    consents: Mapping[str, int | None] | None = None,
    terms_version: int | None = None,
    language: str = "",
    first_name: str | None = None,
    now: datetime | None = None,
) -> Pass:
    """The person's pass in this area, made on the first call (with the welcome bonus as an earn entry), noting the
    contract terms accepted (the current `operate_pass` text: its version, hash and the moment).

    `consents` maps each purpose the person ticked to the text version shown (None: unchecked); they are given
    through privacy's `give_consent` in the pass's own transaction, so a join that fails records none.
    `terms_version` is the version of the terms the page showed. Idempotent per person and area: a second call, or a
    concurrent one, returns the same pass unchanged and records nothing. The profile fields are stored only when
    given; `first_name` (None: unchanged), the account's, with them (`accounts.services.set_first_name`). Raises
    ProgrammeClosed, InvalidProfile, InvalidFirstName, JoinTextChanged (the terms or a consent's text changed since
    shown).
    """
    if existing := Pass.objects.filter(area=area, member=user).first():
        return existing
    if not area.is_active:
        raise ProgrammeClosed()
    postcode, age_band = clean_profile(postcode=postcode, age_band=age_band)
    if first_name is not None:
        clean_first_name(first_name)
    terms = _current_terms()
    if terms_version is not None and (terms is None or terms.version != terms_version):
        raise JoinTextChanged()
    now = now or timezone.now()
    rules = LoyaltySettings.for_area(area)
    for _attempt in range(_CARD_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                member_pass = Pass.objects.create(
                    area=area,
                    member=user,
                    card_number=new_card_number(),
                    postcode=postcode,
                    age_band=age_band,
                    joined_at=now,
                    terms_version=terms.version if terms else None,
                    terms_sha256=terms.content_sha256 if terms else "",
                    terms_accepted_at=now if terms else None,
                )
                if rules.welcome_bonus_points:
                    credit(
                        member_pass,
                        points=rules.welcome_bonus_points,
                        kind=EntryKind.EARN,
                        request_key=derived_key(f"welcome:{member_pass.pk}"),
                        now=now,
                        rules=rules,
                        reason=WELCOME_REASON,
                        by=user,
                    )
                _give_consents(user, area, consents or {}, language)
                if first_name is not None:
                    set_first_name(user=user, first_name=first_name)
                return member_pass
        except IntegrityError:
            # Either the person joined at the same moment elsewhere (the unique pair), or the random
            # card number was taken: then draw another.
            if existing := Pass.objects.filter(area=area, member=user).first():
                return existing
    raise RuntimeError("No free card number after several attempts: is the number space exhausted?")


def _current_terms() -> PurposeVersion | None:
    """The contract terms as the join page shows them now: the privacy registry's current `operate_pass` text."""
    return next((version for purpose, version in published_purposes() if purpose.code == Purpose.OPERATE_PASS), None)


def _give_consents(
    user, area, consents: Mapping[str, int | None], language: str, method: str = CollectionMethod.JOIN
) -> None:
    for purpose_code, shown_version in consents.items():
        try:
            give_consent(
                subject=user,
                area=area,
                purpose_code=purpose_code,
                # The join page's boxes: the sign-up form's, recorded as given on joining the pass.
                method=method,
                language=language,
                recorded_by=user,
                shown_version=shown_version,
            )
        except (ConsentTextChanged, PurposeNotOffered, UnknownPurpose) as error:
            # Raised inside the pass's transaction: the pass and any consent given before this one roll back.
            raise JoinTextChanged() from error


@transaction.atomic
def update_pass_profile(
    *,
    pass_id: int,
    by,
    postcode: str = "",
    age_band: str = "",
    consents: Mapping[str, int | None] | None = None,
    language: str = "",
    first_name: str | None = None,
) -> Pass:
    """The member changes (or clears, with "") the optional profile fields, and with them their first name (None:
    unchanged; `accounts.services.set_first_name`). Only the member may.

    `consents`: purposes ticked with the fields (the profile's own, `PROFILE_PURPOSE`), each with the text version
    shown; given through privacy's `give_consent` in the same transaction, as on joining. Raises InvalidProfile,
    InvalidFirstName, PassNotFound, NotAllowed, JoinTextChanged (a consent's text changed since shown: nothing is
    saved).
    """
    postcode, age_band = clean_profile(postcode=postcode, age_band=age_band)
    if first_name is not None:
        clean_first_name(first_name)
    member_pass = lock_pass(pk=pass_id)
    if member_pass is None:
        raise PassNotFound()
    if not (by and by.pk == member_pass.member_id):
        raise NotAllowed()
    _give_consents(by, member_pass.area, consents or {}, language, method=CollectionMethod.SETTINGS)
    Pass.objects.filter(pk=pass_id).update(postcode=postcode, age_band=age_band)
    member_pass.postcode, member_pass.age_band = postcode, age_band
    if first_name is not None:
        set_first_name(user=by, first_name=first_name)
    return member_pass


def forget_withdrawn_profile(event: ConsentEvent) -> int:
    """A decision against `PROFILE_PURPOSE` (withdrawn or refused) empties the postcode and age band of the person's
    pass in that area: they serve that purpose only, so they are not kept without it (GDPR art. 5(1)(c), 17(1)(b)).
    A back-dated decision older than a later "given" changes nothing. Returns how many passes were emptied."""
    if not withdrawn_for_good(event, PROFILE_PURPOSE):
        return 0
    # update(), not save(): one statement, and only where there is something to empty.
    return (
        Pass.objects.filter(member_id=event.subject_id, area_id=event.area_id)
        .exclude(postcode="", age_band="")
        .update(postcode="", age_band="")
    )


@transaction.atomic
def block_pass(*, pass_id: int, by) -> Pass:
    """Block a pass (lost phone or card): it earns and spends nothing until it gets a new card number
    (`replace_pass_codes`). Member or area manager."""
    member_pass = lock_pass(pk=pass_id)
    if member_pass is None:
        raise PassNotFound()
    if not can(by, "loyalty.block_pass", member_pass):
        raise NotAllowed()
    if member_pass.status == PassStatus.ACTIVE:
        Pass.objects.filter(pk=pass_id).update(status=PassStatus.BLOCKED)
        member_pass.status = PassStatus.BLOCKED
        if by.pk != member_pass.member_id:
            log_access(
                actor=by, action=AuditAction.CHANGE, subject=member_pass.member, obj=member_pass, fields=["status"]
            )
    return member_pass


def replace_pass_codes(*, pass_id: int, by) -> Pass:
    """A lost phone or card: the pass gets a new card number and a new secret for the app, and loses its PIN, so the
    lost card and the app on the lost phone neither earn nor spend any more. Points, history, vouchers and gift cards
    stay with the pass; a blocked pass is active again. The member's installed app loads the new secret the next time
    it opens the pass online (its key is kept per card number).

    The member or the area's manager (`loyalty.block_pass`; audited for the manager), never for an erased member.
    Raises PassNotFound, NotAllowed.
    """
    for _attempt in range(_CARD_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return _replace_codes(pass_id, by)
        except IntegrityError:  # the random card number was taken: draw another
            continue
    raise RuntimeError("No free card number after several attempts: is the number space exhausted?")


def _replace_codes(pass_id: int, by) -> Pass:
    member_pass = lock_pass(pk=pass_id)
    if member_pass is None:
        raise PassNotFound()
    if not can(by, "loyalty.block_pass", member_pass) or member_pass.member.erased_at is not None:
        raise NotAllowed()
    fields = {
        "card_number": new_card_number(),
        "totp_secret": totp.new_secret(),
        "pin_hash": "",
        "failed_pin_attempts": 0,
        "status": PassStatus.ACTIVE,
    }
    # A scan read before this (with the old number) must not write after it: the till's version moves on.
    Pass.objects.filter(pk=pass_id).update(**fields, till_version=F("till_version") + 1)
    for name, value in fields.items():
        setattr(member_pass, name, value)
    if by.pk != member_pass.member_id:
        log_access(
            actor=by,
            action=AuditAction.CHANGE,
            subject=member_pass.member,
            obj=member_pass,
            fields=list(fields),
            via="loyalty",
        )
    return member_pass


@transaction.atomic
def set_pin(*, pass_id: int, pin: str, by) -> None:
    """The member sets the printed card's PIN (4 to 6 digits), which also unlocks it after wrong attempts."""
    if not PIN_PATTERN.fullmatch(pin or ""):
        raise InvalidPin(_("A PIN has 4 to 6 digits."))
    member_pass = lock_pass(pk=pass_id)
    if member_pass is None:
        raise PassNotFound()
    if not (by and by.pk == member_pass.member_id):
        raise NotAllowed()
    Pass.objects.filter(pk=pass_id).update(pin_hash=make_password(pin), failed_pin_attempts=0)


def identify_pass_for_spend(*, merchant, code: str, by, pin: str = "", now: datetime | None = None) -> Pass:
    """The pass behind a code read at `merchant`'s till, proven fit for spending: a fresh TOTP code (its
    step is burnt), or a printed card's number with its PIN. Then call `spend_points(pass_id=…)`.

    Raises InvalidPassCode, PassNotFound, PassBlocked, CodeAlreadyUsed, InvalidPin, PinLocked, NotAllowed.
    """
    parsed = parse_pass_code(code)
    require_till(by, merchant)
    now = now or timezone.now()
    with transaction.atomic():
        member_pass = lock_pass(area_id=merchant.area_id, card_number=parsed.card_number)
        if member_pass is None:
            raise PassNotFound()
        if not member_pass.is_active:
            raise PassBlocked()
        if parsed.otp is not None:
            accept_code(member_pass, parsed.otp, now)
            return member_pass
        if not member_pass.pin_hash:
            raise InvalidPin(_("This card has no PIN. Ask the member to show the pass in the app."))
        if member_pass.failed_pin_attempts >= MAX_PIN_ATTEMPTS:
            raise PinLocked()
        if not (pin or "").strip():
            # Not a guess: the cashier has not asked for it yet (the PIN field is folded away). Not counted.
            raise InvalidPin(_("Enter the PIN of the printed card: spending points with a card number needs it."))
        if check_password(pin, member_pass.pin_hash):
            if member_pass.failed_pin_attempts:
                Pass.objects.filter(pk=member_pass.pk).update(failed_pin_attempts=0)
            return member_pass
        # A wrong PIN is counted in a transaction that commits (raising here would roll the count back).
        Pass.objects.filter(pk=member_pass.pk).update(failed_pin_attempts=member_pass.failed_pin_attempts + 1)
    raise InvalidPin()
