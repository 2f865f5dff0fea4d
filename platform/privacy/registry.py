"""Where every app declares the personal data it holds, so export and erasure reach all of it.

    register(Model, label=_("…"), subject_path="user", fields=[...], on_erase="delete")

- `subject_path`: lookup from the model to the person (``"pk"`` for the user itself), or a
  callable taking the person and returning a ``Q`` (for rows that name the person without a
  foreign key, such as admin log entries about the account).
- `fields`: the personal fields exported for the person (and checked by the tests). Secrets
  (password hashes, token keys, TOTP seeds) are never listed: an export is a file people e-mail.
- `on_erase`: ``"delete"`` (the rows go, with their files), ``"anonymise"`` (the `anonymise`
  mapping of field to value — or callable taking the row — is written), or ``"keep"``
  (bookkeeping that holds no identifying text; it stays, linked only to the anonymised account).
- `order`: erasure runs in ascending order; the user row itself goes last (`LAST`).
- `labels`: column names for the export, where a field's own verbose name is not a translated one (other
  packages' models, or a name Django made from the field's): ``{"record_id": _("record number")}``. A foreign key
  without a translated name is called by its model's name.
  Column names read in lower case, as Django's own do (another package's "Primary" is "primary"); the page
  capitalises them.
- `display`: how the export page shows a field, where the generic rules (a choice's label, Yes/No, a time in the
  current time zone, the related row's name, money — a field named ``…_cents`` — in euros under its name without
  "(cents)") don't say it: ``{"purpose": lambda row: …}`` (for a money field: in euros too); None for a field
  that does not apply to the row (the page leaves out such a column where it applies to no row). The JSON keeps
  values as stored.
- `related`: relations the `display` functions read, fetched with the rows (foreign keys in `fields` already are).

Each app calls `register` from its ``personal_data.py``, imported by its ``AppConfig.ready()``.

What erasure would cut off is each app's to say, from the same file:

    register_open_items("shop", open_orders)   # open_orders(person) -> iterable of OpenItem

An `OpenItem` is something the person still has running with the app, in words and with its amount: a gift-card
balance, an unused voucher, an order being prepared, a parcel on the shelf. Its `effect` says what the erasure page
does with it: `BLOCKS` (erasure waits until it is settled: the app needs the person's details to finish it),
`LOST` (it ends with the account: the person must tick that they accept it), `NOTE` (told, nothing to accept).
Privacy never reads the apps' tables for this (ARCHITECTURE §4): `selectors.erasure_check` asks the hooks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Model, Q, QuerySet
from django.utils.functional import Promise

OnErase = Literal["delete", "anonymise", "keep"]
ON_ERASE_CHOICES = ("delete", "anonymise", "keep")
#: The order of the user row itself: everything that points at the account is handled first.
LAST = 1000
#: The note after a money field's name ("amount (cents)", "bedrag (centen)"): the page shows euros.
_IN_CENTS = re.compile(r"\s*\([^()]*\)\s*$")


def is_money(name: str) -> bool:
    """Whether a field holds money: integer cents, by our naming rule (`…_cents`)."""
    return name.endswith("_cents")


@dataclass(frozen=True)
class PersonalDataSpec:
    model: type[Model]
    label: str | Promise
    subject_path: str | Callable[[Any], Q]
    fields: tuple[str, ...]
    on_erase: OnErase
    anonymise: Mapping[str, Any] = field(default_factory=dict)
    order: int = 100
    labels: Mapping[str, str | Promise] = field(default_factory=dict)
    display: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    related: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable name of the section in exports and erasure summaries, e.g. ``accounts.user``."""
        return self.model._meta.label_lower

    def field_label(self, name: str, *, readable: bool = False) -> str:
        """The column name of a field in exports, in the active language where it has a translation, in lower case
        as Django's own names are. `readable`: as the export page shows it, money without its "(cents)"."""
        if name in self.labels:
            return _lower_case(str(self.labels[name]))
        model_field = self.model._meta.get_field(name)
        if not isinstance(model_field.verbose_name, Promise) and model_field.many_to_one:
            label = str(model_field.related_model._meta.verbose_name)
        else:
            label = str(model_field.verbose_name)
        if readable and is_money(name):
            label = _IN_CENTS.sub("", label) or label
        return _lower_case(label)

    def subject_filter(self, subject) -> Q:
        if callable(self.subject_path):
            return self.subject_path(subject)
        return Q(**{self.subject_path: subject.pk})

    def rows_of(self, subject) -> QuerySet:
        """The rows of this model that hold the person's data, oldest first as a statement reads: by the fields of the
        model's own order, each ascending (a ledger by when things happened, not by when a row was written), then by
        pk."""
        rows = self.model._default_manager.filter(self.subject_filter(subject))
        forward = [name.lstrip("-") for name in self.model._meta.ordering if isinstance(name, str)]
        return rows.order_by(*forward, "pk")


def _lower_case(label: str) -> str:
    """A name in lower case as Django's own are written ("Primair" → "primair"); "R" and "URL" stay as they are."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


_SPECS: dict[str, PersonalDataSpec] = {}


def register(
    model: type[Model],
    *,
    label: str | Promise,
    subject_path: str | Callable[[Any], Q],
    fields: list[str] | tuple[str, ...],
    on_erase: OnErase,
    anonymise: Mapping[str, Any] | None = None,
    order: int = 100,
    labels: Mapping[str, str | Promise] | None = None,
    display: Mapping[str, Callable[[Any], Any]] | None = None,
    related: list[str] | tuple[str, ...] = (),
) -> PersonalDataSpec:
    """Declare a model holding personal data. Misdeclarations fail at start-up, not at erasure time."""
    if on_erase not in ON_ERASE_CHOICES:
        raise ImproperlyConfigured(f"{model.__name__}: on_erase must be one of {ON_ERASE_CHOICES}, not {on_erase!r}.")
    if (on_erase == "anonymise") != bool(anonymise):
        raise ImproperlyConfigured(f"{model.__name__}: give an `anonymise` mapping exactly when on_erase='anonymise'.")
    if not set(labels or {}) | set(display or {}) <= set(fields):
        raise ImproperlyConfigured(f"{model.__name__}: `labels` and `display` name only exported fields.")
    for name in [*fields, *(anonymise or {})]:
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist as error:
            raise ImproperlyConfigured(f"{model.__name__} has no field {name!r} to export or anonymise.") from error
    spec = PersonalDataSpec(
        model=model,
        label=label,
        subject_path=subject_path,
        fields=tuple(fields),
        on_erase=on_erase,
        anonymise=dict(anonymise or {}),
        order=order,
        labels=dict(labels or {}),
        display=dict(display or {}),
        related=tuple(related),
    )
    existing = _SPECS.get(spec.key)
    if existing is not None and existing != spec:
        raise ImproperlyConfigured(f"{spec.key} is registered twice with different personal-data specs.")
    _SPECS[spec.key] = spec
    return spec


def registered() -> list[PersonalDataSpec]:
    """Every spec, in erasure order (ascending `order`, the user row last)."""
    return sorted(_SPECS.values(), key=lambda spec: (spec.order, spec.key))


# --- What is still open: told before the person confirms an erasure -------------------------------------------

#: Erasure waits until it is settled (an order being prepared, a parcel waiting): the app needs the person's details.
BLOCKS = "blocks"
#: Ends with the account (money on a gift card, a voucher, points): the person accepts it explicitly.
LOST = "lost"
#: Told, nothing to accept (a parcel announced but not arrived).
NOTE = "note"
OPEN_EFFECTS = (BLOCKS, LOST, NOTE)


class OpenItem(NamedTuple):
    """One thing the person still has open with an app, in the active language."""

    #: What it is and what it is worth, the stable part of the text language-free ("loyalty.giftcard:12:2500"): the
    #: losses the person accepted are checked again by these at erasure, so a balance that changed is asked again.
    ref: str
    effect: str
    #: What it is, with its amount: "€ 25,00 on gift card 6012 3456 7890 1234 on your Stadspas Amersfoort".
    text: str
    #: What the person can do about it: "Spend it first: …".
    advice: str = ""
    #: Where to do that (a path on the site), or "".
    url: str = ""


_OPEN_ITEMS: dict[str, Callable[[Any], Any]] = {}


def register_open_items(key: str, find: Callable[[Any], Any]) -> None:
    """Declare an app's hook `find(person) -> iterable of OpenItem`, under the app's name (`key`)."""
    existing = _OPEN_ITEMS.get(key)
    if existing is not None and existing is not find:
        raise ImproperlyConfigured(f"Open items of {key!r} are registered twice.")
    _OPEN_ITEMS[key] = find


def open_item_hooks() -> list[Callable[[Any], Any]]:
    """The hooks, in the order of their keys (so the page lists the apps in a fixed order)."""
    return [_OPEN_ITEMS[key] for key in sorted(_OPEN_ITEMS)]


# --- What a consent decision did to data kept for its purpose --------------------------------------------------

_CONSENT_NOTES: dict[str, list[Callable[[Any, Any, str], Any]]] = {}


def register_consent_note(purpose_code: str, note: Callable[[Any, Any, str], Any]) -> None:
    """An app's word to the person after they gave or withdrew consent for `purpose_code` on the privacy page:
    `note(person, area, state)` returns a message (safe HTML may carry a link) or None. For data the app keeps only
    with that consent, such as the pass's postcode, emptied when the statistics consent is withdrawn."""
    notes = _CONSENT_NOTES.setdefault(purpose_code, [])
    if note not in notes:
        notes.append(note)


def consent_note_hooks(purpose_code: str) -> list[Callable[[Any, Any, str], Any]]:
    return list(_CONSENT_NOTES.get(purpose_code, ()))
