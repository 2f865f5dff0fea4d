"""Dutch first, English complete: every message has a Dutch translation, and the compiled
catalogue the application loads is the one built from the committed source."""

import io
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted(
    path
    for path in ROOT.glob("**/locale/*/LC_MESSAGES/django.po")
    # our own catalogues: not those of installed packages (.venv, the benchmark peer's bench/.oscar-venv, npm's)
    if not any(part.startswith(".") or part == "node_modules" for part in path.relative_to(ROOT).parts)
)


def _read_po(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _key(value):
    # plural entries come back as lists from .mo and tuples from .po
    return tuple(value) if isinstance(value, list | tuple) else value


def _text(value):
    # babel reads a compiled catalogue's context as bytes
    return value.decode() if isinstance(value, bytes) else value


def test_there_is_a_dutch_catalogue():
    assert ROOT / "locale/nl/LC_MESSAGES/django.po" in CATALOGUES


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated_and_not_fuzzy(po_path):
    catalogue = _read_po(po_path)
    missing = [
        m.id for m in catalogue if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not missing, f"{len(missing)} untranslated in {po_path}: {missing[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {po_path}: {fuzzy[:10]}"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_matches_its_source(po_path):
    source = _read_po(po_path)
    with po_path.with_suffix(".mo").open("rb") as handle:
        compiled = read_mo(io.BytesIO(handle.read()))
    # keyed by context too: "Undo" (a button) and "Undo" in the context "till transaction kind" are two messages
    expected = {(m.context, _key(m.id)): _key(m.string) for m in source if m.id}
    actual = {(_text(m.context), _key(m.id)): _key(m.string) for m in compiled if m.id}
    assert actual == expected, "run: .venv/bin/python manage.py compilemessages --ignore .venv"


def test_a_message_means_the_same_in_every_catalogue():
    """Django merges the catalogues into one per language (the project's first, then the apps' in the order they are
    installed), so a message translated differently in two catalogues shows the first one's translation on the
    other app's pages too: the parcel desk's shelf "Slot" read as the webshop's delivery time slot. The same words
    with another meaning need a context (`pgettext`, `{% translate … context … %}`)."""
    translations: dict[tuple, dict[str, object]] = {}
    for po_path in CATALOGUES:
        catalogue = _read_po(po_path)
        for message in catalogue:
            if message.id and message.string:
                key = (str(catalogue.locale), message.context, _key(message.id))
                translations.setdefault(key, {})[str(po_path.relative_to(ROOT))] = _key(message.string)
    differing = {key: where for key, where in translations.items() if len(set(where.values())) > 1}
    assert not differing
